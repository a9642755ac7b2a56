/**
 * Replicas on one PostgreSQL record the keys they sign with and publish; a replica signing
 * with a key the others do not publish says so in its log and on /readyz.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppOptions } from '../../src/app.js';
import type { CachedStore } from '../../src/backends/snapshot/cached-store.js';
import { loggerOptions } from '../../src/routes/logging.js';
import { promote, retire, rotate } from '../../src/token/keys/rotation.js';
import { pollUntil } from '../harness/proc.js';
import { buildTestApp, sqlOf, type TestApp } from '../helpers/app.js';
import { usePostgres } from '../helpers/stores.js';
import { keyDirs } from '../helpers/keys.js';
import { useTempDir } from '../helpers/temp.js';

const postgres = usePostgres();
const tmp = useTempDir('replica-keys');
const keysDir = keyDirs(tmp);

const readiness = async (t: TestApp) => {
  const res = await t.app.inject('/readyz');
  return { status: res.statusCode, body: res.json<{ status?: string; errors?: { code: string; message: string }[] }>() };
};
/** A 503's reasons, each in words, as one line. */
const reasonOf = (r: Awaited<ReturnType<typeof readiness>>) => (r.body.errors ?? []).map((e) => e.message).join('; ');
const untilStatus = (t: TestApp, status: number, what: string) => pollUntil(async () => (await readiness(t)).status === status, undefined, what, 15_000, 100);

describe('replicas signing with different keys', () => {
  let url: string;
  const apps: TestApp[] = [];
  const replica = async (dir: string, opts: AppOptions = {}) => {
    const t = await buildTestApp({ database: { url }, token: { keysDir: dir } }, opts);
    apps.push(t);
    return t;
  };

  beforeAll(async () => {
    url = await postgres().createDatabase();
  });
  afterAll(async () => {
    for (const t of apps) await t.close().catch(() => undefined);
  });

  it('are both not ready, each naming the key the other does not publish, until they share the keys', async () => {
    const [dirA, dirB] = await Promise.all([keysDir(), keysDir()]);
    const a = await replica(dirA);
    expect(await readiness(a)).toEqual({ status: 200, body: { status: 'ready', database: 'postgres' } });
    let logB = '';
    const stream = {
      write: (line: string) => {
        logB += line;
      },
    };
    const b = await replica(dirB, { logger: { ...(loggerOptions('info') as object), stream } });
    const [kidA, kidB] = [a.app.services.keys.published.signingKid, b.app.services.keys.published.signingKid];

    // b heard a on its first heartbeat; a hears b on its next one.
    const atB = await readiness(b);
    expect(atB.status).toBe(503);
    expect(atB.body.errors?.[0]?.code).toBe('BACKEND_UNAVAILABLE');
    expect(reasonOf(atB)).toMatch(
      new RegExp(`^this replica signs with ${kidB}, which this replica does not publish: .* pid ${process.pid} \\(signs with ${kidA}, publishes ${kidA}\\)`),
    );
    expect(logB).toMatch(new RegExp(`"level":50,.*"msg":"this replica signs with ${kidB}, which`));
    await untilStatus(a, 503, 'a sees b');
    expect(reasonOf(await readiness(a))).toContain(`this replica signs with ${kidA}`);

    // b takes a's keys (as a shared volume would give it): b reloads, and both are ready again.
    await copyFile(join(dirA, 'token.key'), join(dirB, 'token.key'));
    await copyFile(join(dirA, 'token.crt'), join(dirB, 'token.crt'));
    await untilStatus(b, 200, 'b signs with a’s key');
    await untilStatus(a, 200, 'a sees b agree');
    await b.close();
    apps.splice(apps.indexOf(b), 1);
    const rows = await sqlOf(a).query<{ signing_kid: string }>('SELECT signing_kid FROM signing_key_replicas');
    expect(rows).toEqual([{ signing_kid: kidA }]);
    await a.close();
    apps.splice(apps.indexOf(a), 1);
  });

  it('stay ready through a staged rotation of the keys directory they share', { timeout: 60_000 }, async () => {
    const dir = await keysDir();
    const [a, b] = [await replica(dir), await replica(dir)];
    const statuses: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        statuses.push((await readiness(a)).status, (await readiness(b)).status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const signsWith = (kid: string | null) => () =>
      pollUntil(async () => [a, b].every((t) => t.app.services.keys.published.signingKid === kid), undefined, `both sign with ${kid}`, 10_000);
    const { next } = await rotate(dir, 300);
    await pollUntil(async () => [a, b].every((t) => t.app.services.keys.published.publishedKids.includes(next as string)), undefined, 'next published', 10_000);
    await promote(dir, 300);
    await signsWith(next)();
    // Two heartbeats of each, so every state has been compared at least once.
    await new Promise((r) => setTimeout(r, 11_000));
    await retire(dir, 300, { force: true });
    await pollUntil(async () => [a, b].every((t) => t.app.services.keys.published.publishedKids.length === 1), undefined, 'previous dropped', 10_000);
    await new Promise((r) => setTimeout(r, 6_000));
    sampling = false;
    await sampler;
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('forget a replica not heard from, and compare only with the live ones', async () => {
    const t = await replica(await keysDir());
    const repo = (t.app.services.store as CachedStore).sql.signingKeys;
    const ghost = { instanceId: 'ghost', host: 'gone', pid: 1, signingKid: 'OTHER', publishedKids: ['OTHER'] };
    const me = { instanceId: 'me', host: 'here', pid: 2, signingKid: 'MINE', publishedKids: ['MINE'] };
    await repo.report(ghost, 15, 3600);
    expect((await repo.report(me, 15, 3600)).map((r) => r.instanceId)).toContain('ghost');
    await sqlOf(t).query("UPDATE signing_key_replicas SET seen_at = now() - interval '20 seconds' WHERE instance_id = 'ghost'");
    expect((await repo.report(me, 15, 3600)).map((r) => r.instanceId)).not.toContain('ghost');
    await sqlOf(t).query("UPDATE signing_key_replicas SET seen_at = now() - interval '2 hours' WHERE instance_id = 'ghost'");
    await repo.report(me, 15, 3600);
    expect(await sqlOf(t).query("SELECT 1 FROM signing_key_replicas WHERE instance_id = 'ghost'")).toEqual([]);
    await repo.remove('me');
  });
});

describe('the embedded store', () => {
  it('has one replica, which agrees with itself', async () => {
    const t = await buildTestApp();
    try {
      expect(await readiness(t)).toEqual({ status: 200, body: { status: 'ready', database: 'embedded' } });
      expect(await sqlOf(t).query('SELECT pid FROM signing_key_replicas')).toEqual([{ pid: process.pid }]);
    } finally {
      await t.close();
    }
  });
});
