import { afterAll, beforeAll } from 'vitest';
import type { AppOptions } from '../../src/app.js';
import { startPostgres, type Postgres } from '../harness/postgres.js';
import { buildTestApp, type TestApp } from './app.js';

/** The two stores every store-backed suite runs against: `describe.each(STORES)`. */
export const STORES = ['embedded', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

/** Starts one PostgreSQL for the calling test file and destroys it after the file's tests. */
export function usePostgres(): () => Postgres {
  let server: Postgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.destroy();
  });
  return () => {
    if (!server) throw new Error('PostgreSQL is not running: call usePostgres() at the top of the file');
    return server;
  };
}

type Overrides = Parameters<typeof buildTestApp>[0];

/**
 * A test app on the given store: a fresh embedded database, or a fresh database of its own on
 * the file's PostgreSQL, so apps never share state.
 */
export async function buildStoreApp(kind: StoreKind, postgres: () => Postgres, overrides: Overrides = {}, opts: AppOptions = {}): Promise<TestApp> {
  if (kind === 'embedded') return buildTestApp(overrides, opts);
  const url = await postgres().createDatabase();
  return buildTestApp({ ...overrides, database: { ...overrides.database, url } }, opts);
}
