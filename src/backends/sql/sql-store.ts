import type { Repositories, SerializedDecision, Store } from '../../domain/repositories.js';
import { SqlAudit } from './audit.js';
import { SqlAccessTokens } from './access-tokens.js';
import type { Queryable, SqlClient } from './client.js';
import { ADVISORY_LOCKS } from './locks.js';
import { SqlProjects } from './projects.js';
import { SqlRefreshTokens } from './refresh-tokens.js';
import { SqlRobots } from './robots.js';
import { SqlSigningKeys } from './signing-keys.js';
import { SqlUsers } from './users.js';

function repositories(db: Queryable): Repositories {
  return {
    users: new SqlUsers(db),
    projects: new SqlProjects(db),
    refreshTokens: new SqlRefreshTokens(db),
    robots: new SqlRobots(db),
    accessTokens: new SqlAccessTokens(db),
  };
}

/** The Store on SQL: the embedded database (PGlite) and PostgreSQL run the same statements. */
/** The database alone; CachedStore adds the snapshot and the throttle's counters to make a Store. */
export class SqlStore implements Omit<Store, 'loginFailures'> {
  readonly users;
  readonly projects;
  readonly refreshTokens;
  readonly robots;
  readonly accessTokens;
  readonly audit: SqlAudit;
  readonly signingKeys;

  constructor(readonly db: SqlClient) {
    this.signingKeys = new SqlSigningKeys(db);
    this.audit = new SqlAudit(db);
    ({
      users: this.users,
      projects: this.projects,
      refreshTokens: this.refreshTokens,
      robots: this.robots,
      accessTokens: this.accessTokens,
    } = repositories(db));
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
