import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { dataExceptionToInvalid, type Queryable, type SqlClient } from './client.js';

type PGliteLike = {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  transaction<T>(fn: (tx: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/** Opens the embedded database in `dataDir/db`; the module is loaded only when it is used. */
export async function openEmbedded(dataDir: string): Promise<SqlClient> {
  const dir = resolve(dataDir, 'db');
  await mkdir(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const db = (await PGlite.create(dir)) as unknown as PGliteLike;
  const wrap = (q: PGliteLike | Parameters<Parameters<PGliteLike['transaction']>[0]>[0]): Queryable => ({
    query: async <R extends object>(text: string, params: readonly unknown[] = []) => {
      try {
        return (await q.query<R>(text, [...params])).rows;
      } catch (err) {
        throw dataExceptionToInvalid(err);
      }
    },
  });
  return {
    kind: 'embedded',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
