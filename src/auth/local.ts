import type { AuthOutcome, Authenticator, BeforeCheck } from '../domain/authn.js';
import type { Logger } from '../domain/logger.js';
import type { Identity, UserRecord } from '../domain/model.js';
import type { UsersRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';
import type { PasswordHasher } from './password-hasher.js';

/** Users whose bcrypt hash is in the store. Directory users (no hash) are not its to judge. */
export class LocalAuthenticator implements Authenticator {
  readonly name = 'local';

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly logger?: Logger,
  ) {}

  async authenticate(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<AuthOutcome> {
    const user = await this.users.find(username);
    // Only local rows: a directory user's row must never be vouched for by a stored hash.
    if (!user || user.source !== 'local' || user.passwordHash === null) return { kind: 'unknown' };
    const ok = await this.hasher.verify(password, user.passwordHash, beforeCheck);
    if (!ok) return { kind: 'denied', reason: 'bad_password' };
    if (user.disabled) {
      // The client only hears "invalid credentials": whether the account exists is the admin's to know.
      this.logger?.info({ user: user.username }, 'login refused: the account is disabled');
      return { kind: 'denied', reason: 'disabled' };
    }
    return { kind: 'ok', identity: { username: user.username, userId: user.id, admin: user.admin, groups: [], source: 'local' } };
  }

  /** The row the identity token was found with is current: nothing to re-read. */
  async refresh(user: UserRecord): Promise<Identity | null> {
    if (user.disabled || user.source !== 'local') return null;
    return { username: user.username, userId: user.id, admin: user.admin, groups: [], source: 'local' };
  }
}
