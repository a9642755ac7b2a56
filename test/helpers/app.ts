import { cp } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildApp, type AppOptions } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { CachedStore } from '../../src/backends/snapshot/cached-store.js';
import type { Queryable } from '../../src/backends/sql/client.js';
import { tempDir } from '../harness/proc.js';
import { ADMIN } from '../fixtures/accounts.js';

export { ADMIN };

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A config for tests: shared keys, cheap bcrypt, an admin with a known password. */
/** What a test may override: the file's keys (`ldap` as written, not resolved). */
export type ConfigOverrides = DeepPartial<Omit<Config, 'ldap'>> & { ldap?: Record<string, unknown> } & Record<string, unknown>;

export function testConfig(overrides: ConfigOverrides = {}, dataDir = '/nonexistent'): Config {
  const o = overrides as Record<string, Record<string, unknown> | undefined>;
  return resolveConfig({
    ...overrides,
    dataDir,
    admin: { ...ADMIN, ...o.admin },
    auth: { bcryptCost: 4, ...o.auth },
    token: { keysDir: inject('keysDir'), ...o.token },
    log: { level: 'silent', ...o.log },
  });
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  dataDir: string;
  /** Closes the app and builds it again on the same data: a service restart, with `changes` to its config if given. */
  restart(changes?: Partial<Config>): Promise<void>;
  /** Closes the app and removes its data directory. */
  close(): Promise<void>;
}

/** Builds the app on a fresh copy of the migrated embedded database. */
export async function buildTestApp(overrides: Parameters<typeof testConfig>[0] = {}, opts: AppOptions = {}): Promise<TestApp> {
  const dir = await tempDir('app');
  if (!(overrides as { database?: { url?: string } }).database?.url) await cp(inject('pgliteTemplate'), `${dir.path}/db`, { recursive: true });
  const config = testConfig(overrides, dir.path);
  const app = await buildApp(config, { logger: false, ...opts }).catch(async (err: unknown) => {
    await dir.remove();
    throw err;
  });
  const t: TestApp = {
    app,
    config,
    dataDir: dir.path,
    restart: async (changes = {}) => {
      await t.app.close();
      t.config = { ...t.config, ...changes };
      t.app = await buildApp(t.config, { logger: false, ...opts });
    },
    close: async () => {
      await t.app.close();
      await dir.remove();
    },
  };
  return t;
}

/** The app's database, for tests that look at or change rows directly. */
export function sqlOf(t: TestApp): Queryable {
  return (t.app.services.store as CachedStore).sql.db;
}

export function basic(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
}

/** The configured admin's Authorization header, for admin API calls and admin token requests. */
export const ADMIN_AUTH = basic(ADMIN.username, ADMIN.password);

/** Decodes a JWT's header and claims without verifying (tests verify separately where it matters). */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h as string, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c as string, 'base64url').toString()) as Record<string, unknown>,
  };
}
