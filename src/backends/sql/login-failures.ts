import type { FailureCount, LoginFailuresRepository } from '../../domain/repositories.js';
import type { Queryable } from './client.js';

interface Row {
  key: string;
  failures: number;
  last_ms: string;
}

const toMap = (rows: Row[]) => new Map(rows.map((r) => [r.key, { failures: r.failures, lastFailureAt: Number(r.last_ms) }]));

/** The throttle's counters in PostgreSQL, shared by every replica; times are epoch ms of the app. */
export class SqlLoginFailures implements LoginFailuresRepository {
  constructor(private readonly db: Queryable) {}

  async get(keys: readonly string[], forgetBefore: number): Promise<Map<string, FailureCount>> {
    const rows = await this.db.query<Row>(
      'SELECT key, failures, last_failure_ms::text AS last_ms FROM login_failures WHERE key = ANY($1::text[]) AND last_failure_ms >= $2',
      [[...keys], forgetBefore],
    );
    return toMap(rows);
  }

  async increment(keys: readonly string[], now: number, forgetBefore: number): Promise<Map<string, FailureCount>> {
    const rows = await this.db.query<Row>(
      `INSERT INTO login_failures AS f (key, failures, last_failure_ms)
       SELECT k, 1, $2 FROM unnest($1::text[]) AS k
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN f.last_failure_ms < $3 THEN 1 ELSE f.failures + 1 END,
         last_failure_ms = $2
       RETURNING key, failures, last_failure_ms::text AS last_ms`,
      [[...keys], now, forgetBefore],
    );
    return toMap(rows);
  }

  async reset(key: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE key = $1', [key]);
  }

  async deleteOlderThan(forgetBefore: number): Promise<number> {
    return (await this.db.query('DELETE FROM login_failures WHERE last_failure_ms < $1 RETURNING key', [forgetBefore])).length;
  }
}
