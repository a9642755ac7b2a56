import { BackendUnavailableError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { Store } from '../domain/repositories.js';
import { CachedStore } from './snapshot/cached-store.js';
import { describeConnectFailure, endpointOf } from './sql/connect-failure.js';
import { migrate } from './sql/migrations.js';
import { openEmbedded } from './sql/pglite.js';
import type { PostgresOptions } from './sql/postgres.js';
import { SqlLoginFailures } from './sql/login-failures.js';
import { SqlStore } from './sql/sql-store.js';
import { MemoryLoginFailures } from './throttle/memory-failures.js';

export type DatabaseSettings = Omit<PostgresOptions, 'url' | 'logger'> & { url?: string | undefined; startupWaitSeconds?: number };

export interface OpenStoreOptions {
  /** PostgreSQL when it has a url; the embedded database under dataDir otherwise. */
  database: DatabaseSettings;
  dataDir: string;
  logger?: Logger;
  /** How long to keep retrying an unreachable database at start before giving up. */
  startupWaitMs?: number;
}

/** Opens the configured database, applies pending migrations, loads the access snapshot. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const sql = await openSqlStore(opts);
  try {
    const shared = opts.database.url ? { url: opts.database.url } : undefined;
    // Throttle counters: shared in PostgreSQL by every replica, in memory for the one embedded process.
    const loginFailures = shared ? new SqlLoginFailures(sql.db) : new MemoryLoginFailures();
    return await CachedStore.open(sql, { shared, logger: opts.logger, loginFailures });
  } catch (err) {
    await sql.close().catch(() => undefined);
    throw err;
  }
}

/** The database alone, migrated: what CachedStore wraps, and what tests look at directly. */
export async function openSqlStore(opts: OpenStoreOptions): Promise<SqlStore> {
  const { url } = opts.database;
  // Each driver is loaded only when used: the embedded store never needs pg, nor PostgreSQL PGlite.
  const db = url
    ? (await import('./sql/postgres.js')).openPostgres({ ...opts.database, url, logger: opts.logger })
    : await openEmbedded(opts.dataDir, opts.logger);
  try {
    const applied = await retryWhileUnavailable(() => migrate(db), opts);
    if (applied.length > 0) opts.logger?.info({ applied, database: db.kind }, 'database migrations applied');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return new SqlStore(db);
}

/**
 * Waits out a database that is still starting, up to `database.startupWaitSeconds`, saying on
 * every retry where it is and why it failed. Retrying cannot fix a name that does not resolve,
 * refused credentials or a missing database: those fail at once.
 */
async function retryWhileUnavailable<T>(fn: () => Promise<T>, opts: OpenStoreOptions): Promise<T> {
  const waitMs = opts.startupWaitMs ?? (opts.database.startupWaitSeconds ?? 30) * 1000;
  const deadline = Date.now() + waitMs;
  const where = opts.database.url ? endpointOf(opts.database.url) : undefined;
  for (let delay = 250; ; delay = Math.min(delay * 2, 4_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!where) throw err;
      const { cause, final } = describeConnectFailure(err);
      const retrying = err instanceof BackendUnavailableError && !final && Date.now() + delay <= deadline;
      if (!retrying) {
        const after = final ? 'retrying cannot help' : `gave up after ${Math.round(waitMs / 1000)} s (database.startupWaitSeconds)`;
        throw new Error(`cannot use PostgreSQL at ${where.host}:${where.port}: ${cause}; ${after}`, { cause: err });
      }
      opts.logger?.warn(
        { host: where.host, port: where.port, cause, retryInMs: delay },
        `PostgreSQL at ${where.host}:${where.port} unavailable at start (${cause}); retrying`,
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
