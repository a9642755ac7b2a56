import type { AuthOutcome, Authenticator, BeforeCheck, Directory, DirectoryUser } from '../domain/authn.js';
import { BackendUnavailableError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { Identity, UserRecord } from '../domain/model.js';
import type { UsersRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';
import { CredentialCache } from './credential-cache.js';

export interface LdapAuthOptions {
  /** Groups whose members are system admins (compared case-blind). */
  adminGroups: readonly string[];
  /** Bounds all directory work of one login. */
  requestTimeoutMs: number;
  cacheTtlSeconds: number;
  cacheSize: number;
}

/**
 * Users a directory verifies. They get a row in the store on first login (no password) so
 * memberships and audit can name them; only rows whose source is `ldap` are this backend's,
 * so a directory entry can never log in as a local account of the same name (the first admin).
 */
export class LdapAuthenticator implements Authenticator {
  readonly name = 'ldap';
  readonly #cache: CredentialCache<DirectoryUser>;
  readonly #adminGroups: Set<string>;

  constructor(
    private readonly directory: Directory,
    private readonly users: UsersRepository,
    private readonly opts: LdapAuthOptions,
    private readonly logger?: Logger,
  ) {
    this.#cache = new CredentialCache({ ttlMs: opts.cacheTtlSeconds * 1000, maxEntries: opts.cacheSize });
    this.#adminGroups = new Set(opts.adminGroups.map((g) => g.toLowerCase()));
  }

  async authenticate(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<AuthOutcome> {
    // An empty password would make the bind unauthenticated, which servers accept.
    if (password.isEmpty) return { kind: 'denied' };
    if (username.length === 0 || username.length > 256 || /\p{Cc}/u.test(username)) return { kind: 'unknown' };
    const row = await this.users.find(username);
    if (row && row.source !== 'ldap') return { kind: 'unknown' };
    if (row?.disabled) {
      this.logger?.info({ user: row.username }, 'login refused: the account is disabled (the directory was not asked)');
      return { kind: 'denied', reason: 'disabled' };
    }
    // A password changed in the directory is honoured once the cached login expires.
    const key = this.#cache.keyFor(username, password.reveal());
    let user = this.#cache.get(key);
    if (!user) {
      await beforeCheck?.();
      const result = await this.#withinDeadline(this.directory.login(username, password));
      if (result.kind !== 'ok') return result;
      user = result.user;
      this.#cache.set(key, user);
    }
    return this.#identity(user, row);
  }

  /**
   * Re-reads the groups with the service account. Without one (bind-template mode only) the
   * directory cannot be asked without the password: the identity comes back with no directory
   * groups, and stays valid until the token is revoked or the row disabled.
   */
  async refresh(row: UserRecord): Promise<Identity | null> {
    if (row.source !== 'ldap' || row.disabled) return null;
    const user = await this.#withinDeadline(this.directory.lookUp(row.username));
    if (!user) return null;
    const outcome = await this.#identity(user, row);
    return outcome.kind === 'ok' ? outcome.identity : null;
  }

  close(): Promise<void> {
    return this.directory.close();
  }

  /** `known`: the row already read for this request, which spares the hot path two queries. */
  async #identity(user: DirectoryUser, known: UserRecord | null): Promise<AuthOutcome> {
    if (known?.username !== user.username) {
      // A directory name that differs only in case from an account of the store would be a
      // look-alike of it (`Admin` beside `admin`): refused, never created.
      const clash = await this.users.findCaseless(user.username);
      if (clash && clash.username !== user.username) return { kind: 'denied' };
    }
    const row = known?.username === user.username ? known : await this.users.ensureExternal(user.username, 'ldap');
    if (row.source !== 'ldap') return { kind: 'unknown' };
    if (row.disabled) return { kind: 'denied', reason: 'disabled' };
    const admin = row.admin || user.groups.some((g) => this.#adminGroups.has(g.toLowerCase()));
    return { kind: 'ok', identity: { username: row.username, userId: row.id, admin, groups: user.groups, source: 'ldap' } };
  }

  /** Bounds all directory work of one request, so a token request answers well before docker's 15 s. */
  async #withinDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.opts.requestTimeoutMs;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BackendUnavailableError('ldap', new Error(`LDAP did not answer within ${ms} ms`))), ms);
    });
    // The abandoned work still ends on its own per-operation timeouts; its failure is moot.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
