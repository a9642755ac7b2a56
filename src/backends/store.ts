import type { Logger } from '../logger.js';
import type { Config } from '../config/schema.js';
import { BackendUnavailableError } from '../errors.js';
import type { SqlClient } from './sql/client.js';
import { migrate } from './sql/migrations.js';
import { openEmbedded } from './sql/pglite.js';
import { openPostgres } from './sql/postgres.js';
import { ProjectsRepo } from './sql/projects.js';
import { RefreshTokensRepo } from './sql/refresh-tokens.js';
import { UsersRepo } from './sql/users.js';

/** Users, projects and identity tokens, on the embedded database or PostgreSQL: the same SQL. */
export class Store {
  readonly users: UsersRepo;
  readonly projects: ProjectsRepo;
  readonly refreshTokens: RefreshTokensRepo;

  constructor(readonly db: SqlClient) {
    this.users = new UsersRepo(db);
    this.projects = new ProjectsRepo(db);
    this.refreshTokens = new RefreshTokensRepo(db);
  }

  /** Readiness: throws BackendUnavailableError when the database cannot answer. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export interface OpenStoreOptions {
  logger?: Logger;
  /** How long to keep retrying an unreachable database at start before giving up. */
  startupWaitMs?: number;
}

/** Opens the configured database and applies pending migrations. */
export async function openStore(config: Config, opts: OpenStoreOptions = {}): Promise<Store> {
  const { url } = config.database;
  const db = url
    ? openPostgres({ ...config.database, url, logger: opts.logger })
    : await openEmbedded(config.dataDir);
  try {
    const applied = await retryWhileUnavailable(() => migrate(db), opts);
    if (applied.length > 0) opts.logger?.info({ applied, database: db.kind }, 'database migrations applied');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return new Store(db);
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
