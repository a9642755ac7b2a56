import {
  ConstraintViolationError,
  InappropriateAuthError,
  InsufficientAccessError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  UnwillingToPerformError,
  type Client,
  type Entry,
} from 'ldapts';
import type { DirectoryLogin, DirectoryService, DirectoryUser, GroupCheck } from '../../domain/authn.js';
import { PortcullisError } from '../../domain/errors.js';
import type { Logger } from '../../domain/logger.js';
import type { Secret } from '../../domain/secret.js';
import { serviceAccountOf, type LdapSettings, type UserSearch } from '../../config/ldap.js';
import { escapeDnValue, escapeFilterValue, fillTemplate } from '../../config/ldap-templates.js';
import { attrValues, closeQuietly, openBound, searcher, unavailable, type ConnectSettings, type Search } from './connection.js';
import { groupExists, groupsOf, type UserEntry } from './groups.js';
import { ServicePool } from './pool.js';

// A user's bind refused for reasons of the account itself: wrong password, no such entry,
// locked or disabled (servers differ in which code they use). Anything else (TLS required,
// protocol errors) is a fault of ours or the server's, which must not read as a wrong password.
const REFUSALS = [
  InvalidCredentialsError,
  InappropriateAuthError,
  UnwillingToPerformError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  ConstraintViolationError,
  InsufficientAccessError,
];
const isRefusal = (err: unknown) => REFUSALS.some((cls) => err instanceof cls);

/**
 * The directory over LDAP, in the mode the settings name (see LdapMode): search-then-bind with a
 * service account, or a direct bind to a templated DN followed by a read of the user's entry.
 */
export class LdapDirectory implements DirectoryService {
  readonly #pool: ServicePool | undefined;

  constructor(
    private readonly s: LdapSettings,
    private readonly connect: ConnectSettings,
    private readonly log?: Logger,
    opts: { recheckEveryMs?: number | undefined } = {},
  ) {
    const account = serviceAccountOf(s.mode);
    if (account) this.#pool = new ServicePool(connect, account.dn, account.password, s.poolSize, { logger: log, recheckEveryMs: opts.recheckEveryMs });
  }

  checkServiceAccount(): Promise<string | undefined> {
    return this.#pool?.check() ?? Promise.resolve(undefined);
  }

  serviceAccountProblem(): string | undefined {
    return this.#pool?.problem;
  }

  /** Looked up with the service account: by nameAttribute under groups.baseDn, or by cn (memberOf). */
  async checkGroup(name: string): Promise<GroupCheck> {
    const groups = this.s.groups;
    if (groups.source === 'none') return { kind: 'unchecked', reason: 'ldap.groups.source is none, so no directory group is ever read' };
    const pool = this.#pool;
    if (!pool) return { kind: 'unchecked', reason: 'there is no service account (ldap.search.bindDn) to search the directory with' };
    try {
      return (await pool.use((run) => groupExists(run, groups, name))) ? { kind: 'found' } : { kind: 'missing' };
    } catch (err) {
      const cause = err instanceof PortcullisError && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      return { kind: 'unchecked', reason: `the directory could not be asked: ${cause}` };
    }
  }

  login(username: string, password: Secret): Promise<DirectoryLogin> {
    const mode = this.s.mode;
    return guard(() =>
      mode.kind === 'bind' ? this.#bindFirst(mode.dnTemplate, username, password.reveal()) : this.#searchFirst(mode.search, username, password.reveal()),
    );
  }

  /**
   * The user's current groups, read with the service account; null when no longer found. Without
   * a service account the directory cannot be asked without the password: no groups.
   */
  lookUp(username: string): Promise<DirectoryUser | null> {
    const pool = this.#pool;
    const search = this.#userSearch();
    if (!pool || !search) return Promise.resolve({ username, groups: [] });
    return guard(() =>
      pool.use(async (run) => {
        const entry = await this.#find(run, search, username);
        return entry ? { username: entry.username, groups: await groupsOf(run, entry, this.s.groups), dn: entry.dn } : null;
      }),
    );
  }

  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }

  #userSearch(): UserSearch | undefined {
    const mode = this.s.mode;
    return mode.kind === 'search' ? mode.search : mode.entry.kind === 'search' ? mode.entry.search : undefined;
  }

  async #searchFirst(search: UserSearch, username: string, password: string): Promise<DirectoryLogin> {
    const pool = this.#pool as ServicePool;
    const entry = await pool.use((run) => this.#find(run, search, username));
    if (!entry) return { kind: 'unknown' };
    if (!(await this.#bind(entry.dn, password, async () => true))) return { kind: 'denied' };
    const groups = await pool.use((run) => groupsOf(run, entry, this.s.groups));
    return { kind: 'ok', user: { username: entry.username, groups, dn: entry.dn } };
  }

  async #bindFirst(template: string, username: string, password: string): Promise<DirectoryLogin> {
    const dn = fillTemplate(template, { username }, escapeDnValue);
    const search = this.#userSearch();
    const read = async (run: Search): Promise<DirectoryUser | null> => {
      const entry = search ? await this.#find(run, search, username) : await this.#readDn(run, dn, username);
      return entry && { username: entry.username, groups: await groupsOf(run, entry, this.s.groups), dn: entry.dn };
    };
    const pool = this.#pool;
    const user = await this.#bind(dn, password, async (run) => (pool ? true : read(run)));
    if (user === false) return { kind: 'denied' };
    const found = user === true ? await (pool as ServicePool).use(read) : user;
    // Bound, yet outside what the search filter admits: refused like a wrong password.
    return found ? { kind: 'ok', user: found } : { kind: 'denied' };
  }

  /** Binds as the user on a connection of its own, runs fn on it, closes it; false when refused. */
  async #bind<T>(dn: string, password: string, fn: (run: Search) => Promise<T>): Promise<T | false> {
    // An empty password makes a simple bind unauthenticated, which servers answer with success.
    if (password === '') return false;
    let client: Client;
    try {
      client = await openBound(this.connect, dn, password);
    } catch (err) {
      if (isRefusal(err)) return false;
      throw err;
    }
    try {
      return await fn(searcher(client));
    } finally {
      closeQuietly(client);
    }
  }

  async #find(run: Search, search: UserSearch, username: string): Promise<UserEntry | null> {
    const entries = await run(search.baseDn, {
      scope: 'sub',
      filter: fillTemplate(search.filter, { username }, escapeFilterValue),
      attributes: [this.s.usernameAttribute, 'memberOf'],
      sizeLimit: 2,
    });
    if (entries.length > 1) this.log?.warn({ username }, 'LDAP user search matched more than one entry; treating the user as unknown');
    return entries.length === 1 ? this.#toUser(entries[0] as Entry, username) : null;
  }

  async #readDn(run: Search, dn: string, username: string): Promise<UserEntry | null> {
    if (this.s.mode.kind === 'bind' && this.s.mode.entry.kind === 'none') return { dn, username, memberOf: [] };
    const [entry] = await run(dn, { scope: 'base', attributes: [this.s.usernameAttribute, 'memberOf'] });
    return entry ? this.#toUser(entry, username) : null;
  }

  #toUser(entry: Entry, given: string): UserEntry {
    const names = attrValues(entry, this.s.usernameAttribute);
    const username = names.find((n) => n.toLowerCase() === given.toLowerCase()) ?? names[0] ?? given;
    return { dn: entry.dn, username, memberOf: attrValues(entry, 'memberOf') };
  }
}

/** Every failure that is not already ours means the directory could not answer. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    throw unavailable('LDAP request failed', err);
  }
}
