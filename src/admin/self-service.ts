import { ConflictError, DeniedError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
import type { Identity, UserRecord } from '../domain/model.js';
import type { UsersRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';
import { checkPassword } from './names.js';
import type { AdminService } from './service.js';

/**
 * A password check as a login makes it: through the authenticator chain, under the login
 * throttle of `address` (the realm's authenticatePassword). Null for a wrong password.
 */
export type VerifyLogin = (address: string, username: string, password: Secret) => Promise<Identity | null>;

/** The caller's account as the self-service API shows it. */
export interface Me {
  user: UserRecord;
  /** What the caller holds now: the row's flag, or a directory admin group. */
  admin: boolean;
  groups: string[];
}

/** What any authenticated user may see and change of their own account. */
export class SelfService {
  constructor(
    private readonly users: UsersRepository,
    private readonly admin: AdminService,
    private readonly verifyLogin: VerifyLogin,
  ) {}

  async whoami(caller: Identity): Promise<Me> {
    const user = await this.users.find(caller.username);
    // Deleted between the login and this read.
    if (!user) throw new NotFoundError(`user ${caller.username} not found`);
    return { user, admin: caller.admin, groups: caller.groups };
  }

  /**
   * The current password is asked for apart from the login, because a login need not be the
   * password (an access token) and a credential that is not the password must not be enough to
   * take the account over. Its check is a login attempt, so guessing it is throttled like logins.
   * The new password follows the policy; the user's identity tokens go with the old one.
   */
  async changePassword(caller: Identity, address: string, oldPassword: Secret, newPassword: Secret): Promise<void> {
    if (caller.source !== 'local') {
      throw new ConflictError(`the password of ${caller.username} is kept by the directory (${caller.source}); change it there`);
    }
    // Cheap refusals first: neither costs a bcrypt nor says anything about the stored password.
    checkPassword(newPassword.reveal());
    if (newPassword.reveal() === oldPassword.reveal()) throw new InvalidRequestError('the new password is the same as the old one');
    const confirmed = await this.verifyLogin(address, caller.username, oldPassword);
    // A personal access token checks out as a login too, but it is not the password.
    if (confirmed?.userId !== caller.userId || confirmed.accessToken) throw new DeniedError('oldPassword is not the current password');
    await this.admin.updateUser(caller.username, { password: newPassword });
  }
}
