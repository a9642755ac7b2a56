import {
  ConstraintViolationError, InappropriateAuthError, InsufficientAccessError, InvalidCredentialsError,
  InvalidDNSyntaxError, NoSuchObjectError, UnwillingToPerformError, type Entry,
} from 'ldapts';
import type { LdapConfig } from '../../config/schema.js';
import { ConfigError, PortcullisError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { attrValues, closeQuietly, openBound, searcher, unavailable, type ConnectSettings, type Search } from './connection.js';
import { checkFilter, escapeDnValue, escapeFilterValue, fillTemplate } from './escape.js';
import { groupsOf, type UserEntry } from './groups.js';
import { ServicePool } from './pool.js';

/** Who the directory vouched for: the name as the directory spells it, and group names. */
export interface DirectoryUser {
  username: string;
  groups: string[];
}

export type LoginResult = { kind: 'ok'; user: DirectoryUser } | { kind: 'denied' } | { kind: 'unknown' };

// A user's bind refused for reasons of the account itself: wrong password, no such entry,
// locked or disabled (servers differ in which code they use). Anything else (TLS required,
// protocol errors) is a fault of ours or the server's, which must not read as a wrong password.
const REFUSALS = [InvalidCredentialsError, InappropriateAuthError, UnwillingToPerformError, InvalidDNSyntaxError,
  NoSuchObjectError, ConstraintViolationError, InsufficientAccessError];
const isRefusal = (err: unknown) => REFUSALS.some((cls) => err instanceof cls);

/**
 * The two modes: search-then-bind (a service account finds the user's DN) and direct bind with
 * a DN template. With a template and a service account, the bind uses the template and the
 * service account reads the entry; without one, the user's own connection reads it.
 */
export class Directory {
  readonly #pool: ServicePool | undefined;

  constructor(private readonly c: LdapConfig, private readonly connect: ConnectSettings, private readonly log?: Logger) {
    const sample = { username: 'sample', dn: 'cn=sample' };
    if (c.search) checkFilter('ldap.search.filter', c.search.filter, { username: sample.username });
    if (c.groups.source === 'search') checkFilter('ldap.groups.filter', c.groups.filter, sample);
    if (c.groups.source === 'search' && c.groups.nestedDepth > 0) checkFilter('ldap.groups.nestedFilter', c.groups.nestedFilter, { dn: sample.dn });
    if (c.bindDnTemplate) fillTemplate(c.bindDnTemplate, { username: sample.username }, escapeDnValue);
    if (c.search?.bindDn) this.#pool = new ServicePool(connect, c.search.bindDn, c.search.bindPassword ?? '', c.poolSize);
    if (c.bindDnTemplate && !this.#pool && !c.search && !c.bindDnTemplate.includes('=') && c.groups.source !== 'none') {
      throw new ConfigError('ldap.search (baseDn, filter) is required to read groups when ldap.bindDnTemplate is not a DN');
    }
  }

  login(username: string, password: string): Promise<LoginResult> {
    return guard(() => (this.c.bindDnTemplate ? this.#bindFirst(username, password) : this.#searchFirst(username, password)));
  }

  /**
   * The user's current groups, read with the service account; null when no longer found. Without
   * a service account the directory cannot be asked without the password: no groups.
   */
  lookUp(username: string): Promise<DirectoryUser | null> {
    const pool = this.#pool;
    if (!pool) return Promise.resolve({ username, groups: [] });
    return guard(() => pool.use(async (search) => {
      const entry = await this.#find(search, username);
      return entry ? { username: entry.username, groups: await groupsOf(search, entry, this.c.groups) } : null;
    }));
  }

  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }

  async #searchFirst(username: string, password: string): Promise<LoginResult> {
    const pool = this.#pool as ServicePool;
    const entry = await pool.use((search) => this.#find(search, username));
    if (!entry) return { kind: 'unknown' };
    if (!(await this.#bind(entry.dn, password, async () => true))) return { kind: 'denied' };
    const groups = await pool.use((search) => groupsOf(search, entry, this.c.groups));
    return { kind: 'ok', user: { username: entry.username, groups } };
  }

  async #bindFirst(username: string, password: string): Promise<LoginResult> {
    const dn = fillTemplate(this.c.bindDnTemplate as string, { username }, escapeDnValue);
    const read = async (search: Search): Promise<DirectoryUser | null> => {
      const entry = this.c.search ? await this.#find(search, username) : await this.#readDn(search, dn, username);
      return entry && { username: entry.username, groups: await groupsOf(search, entry, this.c.groups) };
    };
    const pool = this.#pool;
    const user = await this.#bind(dn, password, async (search) => (pool ? true : read(search)));
    if (user === false) return { kind: 'denied' };
    const found = user === true ? await (pool as ServicePool).use(read) : user;
    // Bound, yet outside what the search filter admits: refused like a wrong password.
    return found ? { kind: 'ok', user: found } : { kind: 'denied' };
  }

  /** Binds as the user on a connection of its own, runs fn on it, closes it; false when refused. */
  async #bind<T>(dn: string, password: string, fn: (search: Search) => Promise<T>): Promise<T | false> {
    // An empty password makes a simple bind unauthenticated, which servers answer with success.
    if (password === '') return false;
    let client;
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

  async #find(search: Search, username: string): Promise<UserEntry | null> {
    const { baseDn, filter } = this.c.search as NonNullable<LdapConfig['search']>;
    const entries = await search(baseDn, {
      scope: 'sub',
      filter: fillTemplate(filter, { username }, escapeFilterValue),
      attributes: [this.c.usernameAttribute, 'memberOf'],
      sizeLimit: 2,
    });
    if (entries.length > 1) this.log?.warn({ username }, 'LDAP user search matched more than one entry; treating the user as unknown');
    return entries.length === 1 ? this.#toUser(entries[0] as Entry, username) : null;
  }

  async #readDn(search: Search, dn: string, username: string): Promise<UserEntry | null> {
    if (this.c.groups.source === 'none' && !dn.includes('=')) return { dn, username, memberOf: [] };
    const [entry] = await search(dn, { scope: 'base', attributes: [this.c.usernameAttribute, 'memberOf'] });
    return entry ? this.#toUser(entry, username) : null;
  }

  #toUser(entry: Entry, given: string): UserEntry {
    const names = attrValues(entry, this.c.usernameAttribute);
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
