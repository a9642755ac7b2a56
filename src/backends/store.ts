import { BackendUnavailableError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { Store } from '../domain/repositories.js';
import { CachedStore } from './snapshot/cached-store.js';
import { migrate } from './sql/migrations.js';
import { openEmbedded } from './sql/pglite.js';
import type { PostgresOptions } from './sql/postgres.js';
import { SqlLoginFailures } from './sql/login-failures.js';
import { SqlStore } from './sql/sql-store.js';
import { MemoryLoginFailures } from './throttle/memory-failures.js';

export type DatabaseSettings = Omit<PostgresOptions, 'url' | 'logger'> & { url?: string | undefined };

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

async function retryWhileUnavailable<T>(fn: () => Promise<T>, opts: OpenStoreOptions): Promise<T> {
  const deadline = Date.now() + (opts.startupWaitMs ?? 30_000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 4_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof BackendUnavailableError) || Date.now() + delay > deadline) throw err;
      opts.logger?.warn({ retryInMs: delay }, 'database unavailable at start; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
