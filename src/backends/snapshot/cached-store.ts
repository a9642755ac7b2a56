import type { Logger } from '../../domain/logger.js';
import type { AccessTokenRecord, ProjectAccess, RobotRecord, UserRecord } from '../../domain/model.js';
import type {
  AccessTokensRepository,
  LoginFailuresRepository,
  ProjectsRepository,
  Repositories,
  RobotsRepository,
  SerializedDecision,
  Store,
  UsersRepository,
} from '../../domain/repositories.js';
import type { SqlStore } from '../sql/sql-store.js';
import { AccessSnapshot, SNAPSHOT_PARTS, type SnapshotPart } from './access-snapshot.js';
import { ChangeListener } from './change-listener.js';
import { loadPart, loadVersions } from './load.js';

/** How often a shared store's counters are compared with the snapshot's. */
const POLL_MS = 250;
/** A snapshot not confirmed for this long is not used: the hot path asks the database. */
export const STALE_AFTER_MS = 1_000;

const PARTS = SNAPSHOT_PARTS;

/**
 * The Store with an in-memory snapshot of users, projects, memberships, robots and personal access
 * tokens in front of the token hot path (`users.find`, `robots.find`, `accessTokens.findByHash`, `projects.accessFor`): no SQL per token. The database stays the source
 * of truth. A write through this store reloads the part it touched before it returns. Writes of
 * other replicas arrive through LISTEN/NOTIFY, and a poll of the change counters bounds the
 * staleness if a notification is lost. While the snapshot cannot be vouched for (the listener
 * dropped, polls failing), reads go to the database, so a database outage still answers 503.
 */
export class CachedStore implements Store {
  readonly users: UsersRepository;
  readonly projects: ProjectsRepository;
  readonly robots: RobotsRepository;
  readonly accessTokens: AccessTokensRepository;
  readonly refreshTokens;
  readonly audit;
  readonly signingKeys;
  readonly loginFailures: LoginFailuresRepository;
  #snapshot: AccessSnapshot | undefined;
  #confirmedAt = 0;
  #listening: boolean;
  #closed = false;
  readonly #reloads = new Map<SnapshotPart, Promise<void>>();
  readonly #pending = new Set<SnapshotPart>();
  readonly #listener: ChangeListener | undefined;
  readonly #poller: NodeJS.Timeout;

  private constructor(
    /** The database behind the snapshot (tests look at rows through it). */
    readonly sql: SqlStore,
    opts: { shared?: { url: string } | undefined; logger?: Logger | undefined; now?: () => number; loginFailures: LoginFailuresRepository },
  ) {
    this.loginFailures = opts.loginFailures;
    this.now = opts.now ?? Date.now;
    this.refreshTokens = sql.refreshTokens;
    this.audit = sql.audit;
    this.signingKeys = sql.signingKeys;
    this.users = cachedUsers(sql.users, this);
    this.projects = cachedProjects(sql.projects, this);
    this.robots = cachedRobots(sql.robots, this);
    this.accessTokens = cachedAccessTokens(sql.accessTokens, this);
    this.#listening = !opts.shared;
    if (opts.shared) {
      this.#listener = new ChangeListener(
        opts.shared.url,
        {
          changed: (part) => {
            this.reload(part).catch(() => undefined);
          },
          connected: () => {
            // Whatever changed while nobody listened is unknown: load everything again.
            void Promise.all(PARTS.map((p) => this.reload(p))).then(
              () => {
                this.#listening = true;
                return this.#poll();
              },
              () => undefined,
            );
          },
          lost: () => {
            this.#listening = false;
          },
        },
        opts.logger,
      );
    }
    // Also on the embedded store: a write that did not come through this store (a test, an
    // operator's psql on PostgreSQL) is still seen within the bound.
    this.#poller = setInterval(() => void this.#poll(), POLL_MS).unref();
  }

  readonly now: () => number;

  /** Loads the snapshot before the store serves; a shared store also starts listening. */
  static async open(
    sql: SqlStore,
    opts: { shared?: { url: string } | undefined; logger?: Logger | undefined; now?: () => number; loginFailures: LoginFailuresRepository },
  ): Promise<CachedStore> {
    const store = new CachedStore(sql, opts);
    await store.#poll();
    store.#listener?.start();
    return store;
  }

  get kind(): Store['kind'] {
    return this.sql.kind;
  }

  /** The snapshot when it can be vouched for, else undefined (read the database). */
  current(): AccessSnapshot | undefined {
    if (!this.#snapshot?.complete || !this.#listening) return undefined;
    if (this.now() - this.#confirmedAt > STALE_AFTER_MS) return undefined;
    return this.#snapshot;
  }

  /**
   * Reloads one part from the database. Concurrent calls share one load, and a change
   * announced during a load queues exactly one more, so the last change is never missed.
   */
  reload(part: SnapshotPart): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const running = this.#reloads.get(part);
    if (running) {
      this.#pending.add(part);
      return running;
    }
    const run = (async () => {
      try {
        const loaded = await loadPart(this.sql.db, part);
        const base = this.#snapshot ?? AccessSnapshot.empty();
        if (loaded.version >= base.data.versions[part] || !this.#snapshot) this.#snapshot = base.with(part, loaded, loaded.version);
      } finally {
        this.#reloads.delete(part);
      }
      if (this.#pending.delete(part)) await this.reload(part);
    })();
    this.#reloads.set(part, run);
    return run;
  }

  /** After our own write: reload before answering, so the writer reads what it wrote. */
  async afterWrite(part: SnapshotPart): Promise<void> {
    try {
      await this.reload(part);
    } catch {
      // The write itself succeeded; until a reload does, reads go to the database.
      this.#confirmedAt = 0;
    }
  }

  async serialized<T>(decision: SerializedDecision, fn: (tx: Repositories) => Promise<T>): Promise<T> {
    const result = await this.sql.serialized(decision, fn);
    for (const part of PARTS) await this.afterWrite(part);
    return result;
  }

  ping(): Promise<void> {
    return this.sql.ping();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poller);
    await Promise.allSettled(this.#reloads.values());
    await this.#listener?.close();
    await this.sql.close();
  }

  /** Compares the counters with the snapshot's, reloads what moved, then vouches for it. */
  async #poll(): Promise<void> {
    const started = this.now();
    try {
      const versions = await loadVersions(this.sql.db);
      for (const part of PARTS) {
        if (!this.#snapshot || this.#snapshot.data.versions[part] !== versions[part]) await this.reload(part);
      }
      this.#confirmedAt = started;
    } catch {
      // Unconfirmed; the snapshot goes out of use once STALE_AFTER_MS passes without a poll.
    }
  }
}

/** Wraps a write so the part it touched is reloaded before the writer gets its answer. */
function writeThrough(store: CachedStore, part: SnapshotPart) {
  return <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const result = await fn(...a);
      await store.afterWrite(part);
      return result;
    };
}

function cachedUsers(inner: UsersRepository, store: CachedStore): UsersRepository {
  const write = writeThrough(store, 'users');
  return {
    find: (username: string): Promise<UserRecord | null> => {
      const snapshot = store.current();
      return snapshot ? Promise.resolve(snapshot.findUser(username)) : inner.find(username);
    },
    findCaseless: (username) => inner.findCaseless(username),
    lookAlikes: () => inner.lookAlikes(),
    list: () => inner.list(),
    count: () => inner.count(),
    countActiveAdmins: () => inner.countActiveAdmins(),
    create: write((u) => inner.create(u)),
    ensureExternal: async (username, source) => {
      const known = store.current()?.findUser(username);
      if (known) return known;
      return write(() => inner.ensureExternal(username, source))();
    },
    update: write((name, patch) => inner.update(name, patch)),
    delete: async (username) => {
      await inner.delete(username);
      // Memberships and personal access tokens go with the user (ON DELETE CASCADE).
      await store.afterWrite('users');
      await store.afterWrite('projects');
      await store.afterWrite('access_tokens');
    },
  };
}

function cachedProjects(inner: ProjectsRepository, store: CachedStore): ProjectsRepository {
  const write = writeThrough(store, 'projects');
  return {
    find: (name) => inner.find(name),
    list: () => inner.list(),
    members: (project) => inner.members(project),
    create: write((name, isPublic) => inner.create(name, isPublic)),
    setPublic: write((name, isPublic) => inner.setPublic(name, isPublic)),
    delete: async (name) => {
      await inner.delete(name);
      // Its project robots and every robot permission on it go too (ON DELETE CASCADE).
      await store.afterWrite('projects');
      await store.afterWrite('robots');
    },
    setMember: write((project, principal, role) => inner.setMember(project, principal, role)),
    removeMember: write((project, principal) => inner.removeMember(project, principal)),
    accessFor: (userId, groups, projects): Promise<Map<string, ProjectAccess>> => {
      const snapshot = store.current();
      return snapshot ? Promise.resolve(snapshot.accessFor(userId, groups, projects)) : inner.accessFor(userId, groups, projects);
    },
  };
}

function cachedRobots(inner: RobotsRepository, store: CachedStore): RobotsRepository {
  const write = writeThrough(store, 'robots');
  return {
    find: (name): Promise<RobotRecord | null> => {
      const snapshot = store.current();
      return snapshot ? Promise.resolve(snapshot.findRobot(name)) : inner.find(name);
    },
    list: (project) => inner.list(project),
    create: write((robot) => inner.create(robot)),
    update: write((name, patch) => inner.update(name, patch)),
    delete: write((name) => inner.delete(name)),
    // Not a change the snapshot holds (the trigger ignores these columns): nothing to reload.
    recordUses: (uses) => inner.recordUses(uses),
  };
}

function cachedAccessTokens(inner: AccessTokensRepository, store: CachedStore): AccessTokensRepository {
  const write = writeThrough(store, 'access_tokens');
  return {
    findByHash: (tokenHash): Promise<AccessTokenRecord | null> => {
      const snapshot = store.current();
      return snapshot ? Promise.resolve(snapshot.findAccessToken(tokenHash)) : inner.findByHash(tokenHash);
    },
    list: (ownerId) => inner.list(ownerId),
    create: write((token) => inner.create(token)),
    delete: write((ownerId, id) => inner.delete(ownerId, id)),
    // Bookkeeping the trigger ignores, as for robots.
    recordUses: (uses) => inner.recordUses(uses),
  };
}
