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
