import { readFileSync } from 'node:fs';
import { Client } from 'ldapts';
import type { AuthOutcome, Authenticator, Identity } from '../../auth/identity.js';
import type { LdapConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Secret } from '../../secret.js';
import type { UsersRepo } from '../sql/users.js';
import type { UserRecord } from '../types.js';
import { unavailable, type ClientFactory, type ConnectSettings } from './connection.js';
import { Directory, type DirectoryUser } from './directory.js';
import { LoginCache } from './login-cache.js';

export interface LdapDeps {
  users: UsersRepo;
  logger?: Logger;
  /** Tests wrap this to count or fail connections. */
  createClient?: ClientFactory;
}

/**
 * Users an LDAP directory verifies. They get a row in the store on first login (no password)
 * so memberships and audit can name them; only rows whose source is `ldap` are this backend's,
 * so a directory entry can never log in as a local account of the same name (the first admin).
 */
export class LdapAuthenticator implements Authenticator {
  readonly name = 'ldap';
  readonly #directory: Directory;
  readonly #cache: LoginCache<DirectoryUser>;
  readonly #adminGroups: Set<string>;

  constructor(private readonly config: LdapConfig, private readonly deps: LdapDeps) {
    this.#directory = new Directory(config, connectSettings(config, deps.createClient), deps.logger);
    this.#cache = new LoginCache(config.cacheTtlSeconds * 1000, config.cacheSize);
    this.#adminGroups = new Set(config.adminGroups.map((g) => g.toLowerCase()));
    const plain = config.startTls ? [] : config.urls.filter((u) => u.startsWith('ldap://'));
    if (plain.length > 0) deps.logger?.warn({ urls: plain }, 'LDAP passwords will cross the network unencrypted: use ldaps:// or ldap.startTls');
  }

  async authenticate(username: string, password: Secret): Promise<AuthOutcome> {
    // An empty password would make the bind unauthenticated, which servers accept.
    if (password.isEmpty) return { kind: 'denied' };
    if (username.length === 0 || username.length > 256 || /\p{Cc}/u.test(username)) return { kind: 'unknown' };
    const row = await this.deps.users.find(username);
    if (row && row.source !== 'ldap') return { kind: 'unknown' };
    if (row?.disabled) return { kind: 'denied' };
    const key = this.#cache.keyFor(username, password.reveal());
    let user = this.#cache.get(key);
    if (!user) {
      const result = await this.#withinDeadline(this.#directory.login(username, password.reveal()));
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
    const user = await this.#withinDeadline(this.#directory.lookUp(row.username));
    if (!user) return null;
    const outcome = await this.#identity(user, row);
    return outcome.kind === 'ok' ? outcome.identity : null;
  }

  close(): Promise<void> {
    return this.#directory.close();
  }

  /** `known`: the row already read for this request, which spares the hot path two queries. */
  async #identity(user: DirectoryUser, known: UserRecord | null): Promise<AuthOutcome> {
    const row = known?.username === user.username ? known : await this.deps.users.ensureExternal(user.username, 'ldap');
    if (row.source !== 'ldap') return { kind: 'unknown' };
    if (row.disabled) return { kind: 'denied' };
    const admin = row.admin || user.groups.some((g) => this.#adminGroups.has(g.toLowerCase()));
    return { kind: 'ok', identity: { username: row.username, userId: row.id, admin, groups: user.groups, source: 'ldap' } };
  }

  /** Bounds all directory work of one request, so a token request answers well before docker's 15 s. */
  async #withinDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`LDAP did not answer within ${this.config.requestTimeoutMs} ms`)), this.config.requestTimeoutMs);
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

function connectSettings(c: LdapConfig, createClient: ClientFactory = (o) => new Client(o)): ConnectSettings {
  let ca: Buffer | undefined;
  try {
    ca = c.caFile === undefined ? undefined : readFileSync(c.caFile);
  } catch (err) {
    throw new ConfigError(`ldap.caFile: cannot read ${c.caFile}: ${(err as Error).message}`);
  }
  return {
    urls: c.urls,
    startTls: c.startTls,
    tls: { ca, rejectUnauthorized: c.tlsVerify },
    connectTimeoutMs: c.connectTimeoutMs,
    timeoutMs: c.timeoutMs,
    createClient,
  };
}
