import type { AuthOutcome, Authenticator, BeforeCheck } from '../domain/authn.js';
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
    // A control character (NUL above all) cannot be in any account name, and the database
    // rejects NUL in text: refuse here rather than answer 500.
    if (password.isEmpty || username.length === 0 || /\p{Cc}/u.test(username)) {
      await this.hasher.verify(password, null, beforeCheck);
      return null;
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
      if (outcome.kind === 'ok') return outcome.identity;
      if (outcome.kind === 'denied') return null;
    }
    if (unavailable) throw unavailable;
    await this.hasher.verify(password, null, beforeCheck);
    return null;
  }

  /** Re-resolves an identity token's user through the backend that owns it. */
  async refresh(user: UserRecord): Promise<Identity | null> {
    const backend = this.backends.find((b) => b.name === user.source);
    return backend?.refresh ? backend.refresh(user) : null;
  }
}
