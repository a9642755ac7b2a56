import type { AuthOutcome, Authenticator, BeforeCheck, LoginResult } from '../domain/authn.js';
import { BackendUnavailableError } from '../domain/errors.js';
import type { Identity, UserRecord } from '../domain/model.js';
import type { Secret } from '../domain/secret.js';
import type { PasswordHasher } from './password-hasher.js';

/**
 * Asks each backend in order. The first that knows the user decides: a wrong password there is
 * final, never passed on. A backend that is down is skipped so users of the others keep working,
 * but when nobody else knows the user the answer is "unavailable", not "wrong password".
 */
export class AuthChain {
  constructor(
    private readonly backends: readonly Authenticator[],
    private readonly hasher: PasswordHasher,
  ) {}

  /** Resolves to the identity, or null for bad credentials; throws when it cannot tell. */
  async authenticate(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<Identity | null> {
    return (await this.login(username, password, beforeCheck)).identity;
  }

  /** The identity, or why the login was refused (for the audit and the log); throws when it cannot tell. */
  async login(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<LoginResult> {
    // A control character (NUL above all) cannot be in any account name, and the database
    // rejects NUL in text: refuse here rather than answer 500.
    if (password.isEmpty || username.length === 0 || /\p{Cc}/u.test(username)) {
      await this.hasher.verify(password, null, beforeCheck);
      return { identity: null, refused: password.isEmpty ? 'bad_password' : 'unknown_user' };
    }
    let unavailable: BackendUnavailableError | undefined;
    for (const backend of this.backends) {
      let outcome: AuthOutcome;
      try {
        outcome = await backend.authenticate(username, password, beforeCheck);
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        unavailable ??= err;
        continue;
      }
      if (outcome.kind === 'ok') return { identity: outcome.identity };
      if (outcome.kind === 'denied') return { identity: null, refused: outcome.reason ?? 'bad_password' };
    }
    if (unavailable) throw unavailable;
    await this.hasher.verify(password, null, beforeCheck);
    return { identity: null, refused: 'unknown_user' };
  }

  /** Re-resolves an identity token's user through the backend that owns it. */
  async refresh(user: UserRecord): Promise<Identity | null> {
    const backend = this.backends.find((b) => b.name === user.source);
    return backend?.refresh ? backend.refresh(user) : null;
  }
}
