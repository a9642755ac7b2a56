import { InvalidRequestError } from '../../domain/errors.js';

/** The part of a SQL connection the repositories use; PGlite and PostgreSQL both provide it. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface SqlClient extends Queryable {
  /** `embedded` or `postgres`, for logs and readiness. */
  readonly kind: 'embedded' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATE 23505: the row would duplicate a unique key. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

/**
 * SQLSTATE class 22 (data exception: a NUL byte, a value out of range) means the input could
 * never be stored: the caller's mistake, answered 400, never a 500.
 */
export function dataExceptionToInvalid(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22') ? new InvalidRequestError('the input holds characters or values that cannot be stored') : err;
}
