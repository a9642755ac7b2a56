import type { PasswordHasher } from '../auth/password-hasher.js';
import type { GroupDirectory } from '../domain/authn.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
import type { MemberRecord, Principal, ProjectRecord, Role, UserRecord } from '../domain/model.js';
import type { Store, UsersRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';
import { checkPassword, checkProjectName, checkUsername } from './names.js';

/** What the admin API and CLI can change, with the rules that go with each change. */
export class AdminService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    /** When LDAP is configured: `group:` members are looked up there. */
    private readonly directory?: GroupDirectory,
  ) {}

  /** A name that differs from an existing one only in case is refused: no look-alike accounts. */
  async createUser(username: string, password: Secret, admin: boolean): Promise<UserRecord> {
    checkUsername(username);
    checkPassword(password.reveal());
    const passwordHash = await this.hasher.hash(password);
    return this.store.serialized('usernames', async (tx) => {
      const clash = await tx.users.findCaseless(username);
      if (clash)
        throw new ConflictError(
          clash.username === username ? `user ${username} already exists` : `user ${clash.username} already exists (names differ only in case)`,
        );
      return tx.users.create({ username, passwordHash, source: 'local', admin });
    });
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.store.users.list();
  }

  /** The user and the projects they are a direct member of (group memberships are the directory's). */
  async showUser(username: string): Promise<{ user: UserRecord; memberships: { project: string; role: Role }[] }> {
    const user = await this.store.users.find(username);
    if (!user) throw new NotFoundError(`user ${username} not found`);
    const memberships: { project: string; role: Role }[] = [];
    for (const project of await this.store.projects.list()) {
      for (const m of await this.store.projects.members(project.name)) {
        if (m.principal.kind === 'user' && m.principal.name === user.username) memberships.push({ project: project.name, role: m.role });
      }
    }
    return { user, memberships };
  }

  /** A new password or disabling the account revokes every identity token the user holds. */
  async updateUser(username: string, patch: { password?: Secret; admin?: boolean; disabled?: boolean }): Promise<UserRecord> {
    if (patch.password) {
      checkPassword(patch.password.reveal());
      const target = await this.store.users.find(username);
      // The directory owns a directory user's password; a local hash beside it would be a second one.
      if (target && target.source !== 'local') throw new ConflictError(`${username} is a ${target.source} user: change the password in the directory`);
    }
    const passwordHash = patch.password ? await this.hasher.hash(patch.password) : undefined;
    const change = { passwordHash, admin: patch.admin, disabled: patch.disabled };
    const user =
      patch.admin === false || patch.disabled === true
        ? await this.store.serialized('admins', async (tx) => {
            await keepOneAdmin(tx.users, username);
            return tx.users.update(username, change);
          })
        : await this.store.users.update(username, change);
    if (patch.password || patch.disabled === true) await this.store.refreshTokens.revokeForUser(user.id);
    return user;
  }

  /** Revokes every identity token of the user (e.g. a lost laptop); returns how many. */
  async revokeIdentityTokens(username: string): Promise<number> {
    const user = await this.store.users.find(username);
    if (!user) throw new NotFoundError(`user ${username} not found`);
    return this.store.refreshTokens.revokeForUser(user.id);
  }

  /** Memberships and identity tokens go with the user (ON DELETE CASCADE). */
  async deleteUser(username: string): Promise<void> {
    await this.store.serialized('admins', async (tx) => {
      await keepOneAdmin(tx.users, username);
      await tx.users.delete(username);
    });
  }

  async createProject(name: string, isPublic: boolean): Promise<ProjectRecord> {
    return await this.store.projects.create(checkProjectName(name), isPublic);
  }

  async listProjects(): Promise<ProjectRecord[]> {
    return this.store.projects.list();
  }

  async setProjectPublic(name: string, isPublic: boolean): Promise<ProjectRecord> {
    return await this.store.projects.setPublic(name, isPublic);
  }

  async deleteProject(name: string): Promise<void> {
    await this.store.projects.delete(name);
  }

  listMembers(project: string): Promise<MemberRecord[]> {
    return this.store.projects.members(project);
  }

  /**
   * Sets the membership; for a directory group the directory is asked too, and a name it does
   * not know (a typo, most likely) comes back as a warning: the membership stands, matching no one.
   */
  async setMember(project: string, principal: Principal, role: Role): Promise<{ warning?: string }> {
    if (principal.name.trim() === '') throw new InvalidRequestError('member name is empty');
    await this.store.projects.setMember(project, principal, role);
    if (principal.kind !== 'group' || !this.directory) return {};
    const check = await this.directory.checkGroup(principal.name);
    if (check.kind === 'found') return {};
    if (check.kind === 'missing')
      return { warning: `the directory has no group "${principal.name}": group:${principal.name} was set, but matches nobody until such a group exists` };
    return { warning: `group:${principal.name} was set, but could not be checked against the directory: ${check.reason}` };
  }

  removeMember(project: string, principal: Principal): Promise<void> {
    return this.store.projects.removeMember(project, principal);
  }
}

/**
 * Nobody could administer the service again without an enabled admin, so the last one stays.
 * Called inside the 'admins' decision: two admins demoting each other at once cannot both pass.
 */
async function keepOneAdmin(users: UsersRepository, username: string): Promise<void> {
  const user = await users.find(username);
  if (!user) throw new NotFoundError(`user ${username} not found`);
  if (user.admin && !user.disabled && (await users.countActiveAdmins()) <= 1) {
    throw new ConflictError(`${username} is the last enabled system admin`);
  }
}
