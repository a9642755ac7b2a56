/**
 * The audit never costs a token: while its writes fail, tokens are issued as before and the
 * entries wait in memory; once the store answers they are written. A buffer that overflows drops
 * the newest, counted in /metrics. On PostgreSQL the real server is stopped and started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, sqlOf, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();
const MAX_ENTRIES = 8;

describe.each(STORES)('audit writes failing on the %s store', (kind) => {
  let t: TestApp;
  const tokenFor = (repo: string) => realmGet(t.app, { service: 'registry', scope: `repository:library/${repo}:pull` }, ADMIN_AUTH);
  const written = async (repo: string): Promise<number> =>
    (await t.app.services.store.audit.list({ repository: `library/${repo}` }, { all: true }, { order: 'asc', limit: 500 })).length;
  const dropped = async (): Promise<number> => {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    return Number(/^portcullis_audit_dropped_total (\d+)/m.exec(text)?.[1]);
  };
  /** Audit inserts fail while the table is away; every other table (and so every token) is untouched. */
  const auditTableAway = () => sqlOf(t).query('ALTER TABLE audit_segments RENAME TO audit_segments_away');
  const auditTableBack = () => sqlOf(t).query('ALTER TABLE audit_segments_away RENAME TO audit_segments');

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres, { audit: { buffer: { flushEveryMs: 60_000, batchSize: 10_000, maxEntries: MAX_ENTRIES } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('no token is refused while audit writes fail; the entries are written once they succeed again', async () => {
    await auditTableAway();
    for (let i = 0; i < 5; i++) granted(await tokenFor('waiting'));
    await t.app.services.audit.flush();
    expect(t.app.services.audit.buffered).toBe(5);
    await auditTableBack();
    await t.app.services.audit.flush();
    expect(t.app.services.audit.buffered).toBe(0);
    expect(await written('waiting')).toBe(5);
  });

  it('an overflowing buffer drops the newest entries, counts them in /metrics, and still refuses no token', async () => {
    expect(await dropped()).toBe(0);
    await auditTableAway();
    for (let i = 0; i < MAX_ENTRIES + 4; i++) granted(await tokenFor('overflow'));
    await t.app.services.audit.flush();
    expect(t.app.services.audit.buffered).toBe(MAX_ENTRIES);
    expect(await dropped()).toBe(4);
    await auditTableBack();
    await t.app.services.audit.flush();
    expect(await written('overflow')).toBe(MAX_ENTRIES);
  });
});

describe('PostgreSQL stopped and started while tokens are requested', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildStoreApp('postgres', postgres, { database: { connectTimeoutMs: 1_000 }, audit: { buffer: { flushEveryMs: 100 } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('entries of the tokens issued around the outage are all written after the recovery', async () => {
    const scope = (repo: string) => ({ service: 'registry', scope: `repository:library/${repo}:pull` });
    // Tokens issued just before the stop: their entries are still in memory when the server goes.
    for (let i = 0; i < 3; i++) granted(await realmGet(t.app, scope('before-stop'), ADMIN_AUTH));
    await postgres().stop();
    let during = 0;
    try {
      // The token path answers from memory until the snapshot can no longer be vouched for, then
      // 503 (the store itself is down); neither depends on the audit.
      for (let i = 0; i < 3; i++) {
        const res = await realmGet(t.app, scope('during'), ADMIN_AUTH);
        if (res.statusCode === 200) during++;
        else expect(errorCode(res, 503)).toBe('BACKEND_UNAVAILABLE');
      }
      await t.app.services.audit.flush();
      expect(t.app.services.audit.buffered).toBeGreaterThanOrEqual(3);
    } finally {
      await postgres().start();
    }
    for (let i = 0; i < 2; i++) granted(await realmGet(t.app, scope('after'), ADMIN_AUTH));
    await t.app.services.audit.flush();
    expect(t.app.services.audit.buffered).toBe(0);
    const entries = await t.app.services.store.audit.list({ kind: 'token', subject: ADMIN.username }, { all: true }, { order: 'asc', limit: 500 });
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(`${e.repositories[0]} ${e.outcome}`, (counts.get(`${e.repositories[0]} ${e.outcome}`) ?? 0) + 1);
    const rows = [...counts].map(([key, n]) => {
      const [repo, outcome] = key.split(' ');
      return { repo, outcome, n };
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        { repo: 'library/before-stop', outcome: 'granted', n: 3 },
        { repo: 'library/after', outcome: 'granted', n: 2 },
      ]),
    );
    const duringRows = rows.filter((r) => r.repo === 'library/during');
    expect(duringRows.reduce((n, r) => n + r.n, 0)).toBe(3);
    expect(duringRows.find((r) => r.outcome === 'granted')?.n ?? 0).toBe(during);
  });
});
