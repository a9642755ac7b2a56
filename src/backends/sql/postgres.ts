import pg from 'pg';
import { BackendUnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../domain/logger.js';
import { dataExceptionToInvalid, type Queryable, type SqlClient } from './client.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  logger?: Logger;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
// Connection exceptions, resource limits, operator intervention and system errors: the server
// could not serve this request, which says nothing about the caller's data.
const UNAVAILABLE_CLASSES = /^(08|53|57|58)/;

/** SQL errors (constraint violations, bad SQL) are the caller's; everything else means "down". */
export function classifyPgError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SQLSTATE.test(code) && !UNAVAILABLE_CLASSES.test(code)) return dataExceptionToInvalid(err);
  return new BackendUnavailableError('database', err);
}

export function openPostgres(opts: PostgresOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    statement_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 1_000,
    keepAlive: true,
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', (err) => opts.logger?.warn({ err: { message: err.message } }, 'idle database connection lost'));
  const run = async <R extends object>(q: pg.Pool | pg.PoolClient, text: string, params: readonly unknown[] = []) => {
    try {
      return (await q.query(text, [...params])).rows as R[];
    } catch (err) {
      throw classifyPgError(err);
    }
  };
  return {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params),
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw classifyPgError(err);
      }
      // The pool listens for errors only on idle clients: a connection lost mid-transaction
      // fails the pending query, and must not also crash the process as an unhandled 'error'.
      const ignore = () => undefined;
      client.on('error', ignore);
      const tx: Queryable = { query: (text, params) => run(client, text, params) };
      try {
        await tx.query('BEGIN');
        const result = await fn(tx);
        await tx.query('COMMIT');
        client.removeListener('error', ignore);
        client.release();
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.removeListener('error', ignore);
        client.release(true);
        throw err;
      }
    },
    close: () => pool.end(),
  };
}
