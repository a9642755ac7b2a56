import { BackendUnavailableError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { Repositories, SerializedDecision, Store } from '../domain/repositories.js';
import type { Queryable, SqlClient } from './sql/client.js';
import { ADVISORY_LOCKS } from './sql/locks.js';
import { migrate } from './sql/migrations.js';
import { openEmbedded } from './sql/pglite.js';
import { openPostgres, type PostgresOptions } from './sql/postgres.js';
import { SqlProjects } from './sql/projects.js';
import { SqlRefreshTokens } from './sql/refresh-tokens.js';
import { SqlUsers } from './sql/users.js';

function repositories(db: Queryable): Repositories {
  return { users: new SqlUsers(db), projects: new SqlProjects(db), refreshTokens: new SqlRefreshTokens(db) };
}

/** The Store on SQL: the embedded database (PGlite) and PostgreSQL run the same statements. */
export class SqlStore implements Store {
  readonly users;
  readonly projects;
  readonly refreshTokens;

  constructor(readonly db: SqlClient) {
    ({ users: this.users, projects: this.projects, refreshTokens: this.refreshTokens } = repositories(db));
  }

  get kind(): SqlClient['kind'] {
    return this.db.kind;
  }

  serialized<T>(decision: SerializedDecision, fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS[decision]]);
      return fn(repositories(tx));
    });
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export type DatabaseSettings = Omit<PostgresOptions, 'url' | 'logger'> & { url?: string | undefined };

export interface OpenStoreOptions {
  /** PostgreSQL when it has a url; the embedded database under dataDir otherwise. */
  database: DatabaseSettings;
  dataDir: string;
  logger?: Logger;
  /** How long to keep retrying an unreachable database at start before giving up. */
  startupWaitMs?: number;
}

/** Opens the configured database and applies pending migrations. */
export async function openStore(opts: OpenStoreOptions): Promise<SqlStore> {
  const { url } = opts.database;
  const db = url ? openPostgres({ ...opts.database, url, logger: opts.logger }) : await openEmbedded(opts.dataDir);
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
