import { InvalidRequestError, NotFoundError } from '../../domain/errors.js';

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
 * never be stored: the caller's mistake, answered 400, never a 500. 23503 (foreign key) means
 * what a row refers to was deleted meanwhile (a member added as its project goes): 404.
 */
export function dataExceptionToInvalid(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err;
  if (code.startsWith('22')) return new InvalidRequestError('the input holds characters or values that cannot be stored');
  if (code === '23503') return new NotFoundError('what this refers to was deleted meanwhile');
  return err;
}
