import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ADVISORY_LOCKS } from '../../src/backends/sql/locks.js';
import { MIGRATIONS } from '../../src/backends/sql/migrations.js';
import { pollUntil } from '../harness/proc.js';
import { ADMIN, ADMIN_AUTH, basic, testConfig, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();

describe('PostgreSQL going away and coming back', () => {
  let t: TestApp;
  const tokenRequest = () => realmGet(t.app, { service: 'registry', scope: 'repository:library/alpine:pull' }, ADMIN_AUTH);

  /** 503 BACKEND_UNAVAILABLE with Retry-After, answered promptly rather than after a hang. */
  const expectUnavailable = async (request: () => Promise<LightMyRequestResponse>) => {
    const started = Date.now();
    const res = await request();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errorCode(res, 503)).toBe('BACKEND_UNAVAILABLE');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
  };

  beforeAll(async () => {
    t = await buildStoreApp('postgres', postgres, { database: { connectTimeoutMs: 2_000 }, identityTokens: { enabled: true } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 503 while the database is down, then recovers without a rebuild', async () => {
    granted(await tokenRequest());
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const login = await realmGet(t.app, { client_id: 'docker', offline_token: 'true', service: 'registry' }, ADMIN_AUTH);
    const refreshGrant = { grant_type: 'refresh_token', refresh_token: granted(login).body.refresh_token ?? '', service: 'registry' };

    await postgres().stop();
    await expectUnavailable(tokenRequest);
    await expectUnavailable(() => realmGet(t.app, { service: 'registry', scope: 'repository:library/alpine:pull' }));
    await expectUnavailable(() => realmPost(t.app, { grant_type: 'password', username: 'someone', password: 'some-password', service: 'registry' }));
    // docker has no password to fall back on: a refresh token must not look revoked (401).
    await expectUnavailable(() => realmPost(t.app, refreshGrant));
    await expectUnavailable(() => t.app.inject({ url: '/api/v1/users', headers: { authorization: ADMIN_AUTH } }));
    const ready = await t.app.inject({ url: '/readyz' });
    expect(errorCode(ready, 503)).toBe('BACKEND_UNAVAILABLE');
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    await postgres().start();
    expect(granted(await tokenRequest()).access).toEqual([{ type: 'repository', name: 'library/alpine', actions: ['pull'] }]);
    expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', database: 'postgres' });
    expect(errorCode(await realmGet(t.app, { service: 'registry' }, basic(ADMIN.username, 'wrong-password')), 401)).toBe('UNAUTHORIZED');
    expect(granted(await realmPost(t.app, refreshGrant)).claims.sub).toBe(ADMIN.username);
  });
});

describe('replicas starting together on an empty database', () => {
  it('both start; every migration is recorded once and one admin is created', async () => {
    const url = await postgres().createDatabase();
    const config = testConfig({ database: { url } }, '/nonexistent');
    const apps = await Promise.all([buildApp(config, { logger: false }), buildApp(config, { logger: false })]);
    try {
      expect(apps.map((a) => a.services.bootstrap.created).sort()).toEqual([false, true]);
      for (const app of apps) granted(await realmGet(app, { service: 'registry' }, ADMIN_AUTH));
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const versions = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
      expect((await client.query('SELECT username FROM users')).rows).toEqual([{ username: ADMIN.username }]);
      expect((await client.query('SELECT name FROM projects')).rows).toEqual([{ name: 'library' }]);
    } finally {
      await client.end();
    }
  });

  it('a replica waiting for the migration lock rides out a database restart', async () => {
    const url = await postgres().createDatabase();
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => undefined);
    await holder.connect();
    // Another replica mid-migration: it holds the lock the starting app must wait for.
    await holder.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.migrations]);
    const starting = buildApp(testConfig({ database: { url } }, '/nonexistent'), { logger: false });
    await pollUntil(
      async () => {
        const res = await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        return res.rows[0]?.n === 1;
      },
      undefined,
      'the app waiting for the migration lock',
    );
    await postgres().stop();
    await postgres().start();
    const app = await starting;
    try {
      granted(await realmGet(app, { service: 'registry' }, ADMIN_AUTH));
    } finally {
      await app.close();
      await holder.end().catch(() => undefined);
    }
  });
});
