/**
 * The audit trail on both stores, through the HTTP API as operators read it: every token
 * outcome and reason, admin changes with their actor, registry events, who may read what,
 * paging, and the retention sweep.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';
import { gzipSync } from 'node:zlib';
import type { SqlClient } from '../../src/backends/sql/client.js';
import { ADVISORY_LOCKS } from '../../src/backends/sql/locks.js';
import { segmentOf } from '../../src/domain/audit-segment.js';

const postgres = usePostgres();
const EVENTS_SECRET = 'registry-events-secret-1234';
const PASSWORD = 'audit-password-1';

interface Entry {
  id: string;
  at: string;
  kind: string;
  subject: string | null;
  outcome: string;
  address: string | null;
  projects: string[];
  repositories: string[];
  detail: Record<string, unknown> & { denied?: { resource: string; action: string; reason: string }[] };
}
interface Page {
  entries: Entry[];
  next: string | null;
  follow: string;
}

describe.each(STORES)('the audit trail on the %s store', (kind) => {
  let t: TestApp;
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, authorization = ADMIN_AUTH) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization }, ...(payload ? { payload } : {}) });
  const admin = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> => {
    const res = await api(method, url, payload);
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res;
  };
  /** The entries matching `query`, newest first, once everything recorded so far is written. */
  const audit = async (query: Record<string, string>, authorization = ADMIN_AUTH): Promise<Page> => {
    await t.app.services.audit.flush();
    const res = await api('GET', `/audit?${new URLSearchParams(query)}`, undefined, authorization);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Page>();
  };
  const token = (user: string | undefined, scope: string | string[], password = PASSWORD) =>
    realmGet(t.app, { service: 'registry', scope }, user === undefined ? undefined : basic(user, password));
  /** The newest token entry of `subject` (null: anonymous, matched by the repository). */
  const lastToken = async (query: Record<string, string>): Promise<Entry> => {
    const page = await audit({ kind: 'token', limit: '1', ...query });
    expect(page.entries).toHaveLength(1);
    return page.entries[0] as Entry;
  };
  const reasons = (e: Entry) => (e.detail.denied ?? []).map((d) => `${d.action}:${d.reason}`);

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres, { audit: { buffer: { flushEveryMs: 50 }, events: { secret: EVENTS_SECRET } } });
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) await admin('POST', '/users', { username: name, password: PASSWORD });
    await admin('POST', '/projects', { name: 'team' });
    await admin('POST', '/projects', { name: 'other' });
    await admin('PUT', '/projects/team/members/alice', { role: 'developer' });
    await admin('PUT', '/projects/team/members/bob', { role: 'guest' });
    await admin('PUT', '/projects/team/members/dave', { role: 'admin' });
    await admin('PATCH', '/users/erin', { disabled: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('token requests', () => {
    it('the same request again and again: an entry each, with its own jti, whatever else is recorded between', async () => {
      const jtis: string[] = [];
      const ask = async () => jtis.push(granted(await token('alice', 'repository:team/repeat:pull')).claims.jti as string);
      await ask();
      await ask();
      // Something else in between: the next request is recorded whole again.
      await token('bob', 'repository:team/repeat:pull');
      await ask();
      await t.app.services.audit.flush();
      await ask();
      const page = await audit({ kind: 'token', repository: 'team/repeat', limit: '10' });
      expect(page.entries.map((e) => [e.subject, e.detail.jti ?? null]).reverse()).toEqual([
        ['alice', jtis[0]],
        ['alice', jtis[1]],
        ['bob', expect.any(String)],
        ['alice', jtis[2]],
        ['alice', jtis[3]],
      ]);
      const alices = page.entries.filter((e) => e.subject === 'alice');
      for (const e of alices)
        expect({ ...e, id: 0, at: 0, detail: { ...e.detail, jti: 0 } }).toEqual({ ...alices[0], id: 0, at: 0, detail: { ...alices[0]?.detail, jti: 0 } });
    });

    it('granted: every action, with method, client, user agent, scopes and the jti of the token', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/token?service=registry&client_id=skopeo&scope=repository:team/app:pull,push',
        headers: { authorization: basic('alice', PASSWORD), 'user-agent': 'containers/5.0 (test)' },
      });
      const { claims } = granted(res);
      const e = await lastToken({ subject: 'alice' });
      expect(e).toMatchObject({
        kind: 'token',
        subject: 'alice',
        outcome: 'granted',
        address: '127.0.0.1',
        projects: ['team'],
        repositories: ['team/app'],
        detail: {
          method: 'password',
          clientId: 'skopeo',
          userAgent: 'containers/5.0 (test)',
          requested: ['repository:team/app:pull,push'],
          granted: ['repository:team/app:pull,push'],
          denied: [],
          jti: claims.jti,
        },
      });
    });

    it.each<[string, string | undefined, string | string[], string, string[]]>([
      ['a guest pushing', 'bob', 'repository:team/app:pull,push', 'partial', ['push:role_lacks_push']],
      ['a guest deleting', 'bob', 'repository:team/app:pull,delete', 'partial', ['delete:role_lacks_delete']],
      ['a non-member of a private project', 'carol', 'repository:team/app:pull', 'denied', ['pull:not_a_member']],
      ['anonymous on a private project', undefined, 'repository:team/anon:pull', 'denied', ['pull:project_private']],
      ['anonymous pushing to a public project', undefined, 'repository:library/anon:pull,push', 'partial', ['push:not_a_member']],
      ['a project that does not exist', 'alice', 'repository:nosuch/app:pull', 'denied', ['pull:no_such_project']],
      ['the catalog for a non-admin', 'alice', 'registry:catalog:*', 'denied', ['*:admin_only']],
      ['* for a developer', 'alice', 'repository:team/star:*', 'denied', ['*:not_every_action']],
      ['an unknown resource type', 'alice', 'foo:team/app:pull', 'denied', ['pull:unknown_resource']],
    ])('%s: the reason of each action not granted', async (_, user, scope, outcome, why) => {
      granted(await token(user, scope));
      const repository = [scope].flat()[0]?.split(':')[1] ?? '';
      const e = await lastToken(user ? { subject: user } : { repository });
      expect(e.subject).toBe(user ?? null);
      expect(e.outcome).toBe(outcome);
      expect(reasons(e)).toEqual(why);
    });

    it('a robot beyond its permissions: robot_lacks_permission, method robot', async () => {
      const res = await api('POST', '/robots', { name: 'puller', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] });
      const { name, secret } = res.json<{ name: string; secret: string }>();
      granted(await realmGet(t.app, { service: 'registry', scope: 'repository:team/app:pull,push' }, basic(name, secret)));
      const e = await lastToken({ subject: name });
      expect(e).toMatchObject({ outcome: 'partial', detail: { method: 'robot', granted: ['repository:team/app:pull'] } });
      expect(reasons(e)).toEqual(['push:robot_lacks_permission']);
    });

    it.each<[string, () => Promise<LightMyRequestResponse>, string, string]>([
      ['a wrong password', () => token('alice', 'repository:team/app:pull', 'wrong-password'), 'alice', 'bad_password'],
      ['an unknown user', () => token('nobody', 'repository:team/app:pull'), 'nobody', 'unknown_user'],
      ['a disabled user with the right password', () => token('erin', 'repository:team/app:pull'), 'erin', 'disabled'],
    ])('unauthorized: %s', async (_, request, subject, reason) => {
      expect(errorCode(await request(), 401)).toBe('UNAUTHORIZED');
      const e = await lastToken({ subject });
      expect(e).toMatchObject({ outcome: 'unauthorized', detail: { reason, granted: [] } });
      expect(e.detail).not.toHaveProperty('jti');
      expect(reasons(e)).toEqual([`pull:${reason}`]);
    });

    it('unauthorized: an expired robot, and a refresh token that was never issued', async () => {
      const res = await api('POST', '/robots', { name: 'old', project: 'team', expiresInDays: 0, permissions: [{ project: 'team', actions: ['pull'] }] });
      const { name, secret } = res.json<{ name: string; secret: string }>();
      errorCode(await realmGet(t.app, { service: 'registry', scope: 'repository:team/app:pull' }, basic(name, secret)), 401);
      expect((await lastToken({ subject: name })).detail).toMatchObject({ reason: 'expired' });

      await t.restart({ identityTokens: { ...t.config.identityTokens, enabled: true } });
      errorCode(
        await realmPost(t.app, { grant_type: 'refresh_token', refresh_token: 'pcr_never-issued', service: 'registry', scope: 'repository:team/x:pull' }),
        401,
      );
      const e = (await audit({ kind: 'token', repository: 'team/x', limit: '1' })).entries[0];
      expect(e).toMatchObject({ subject: null, outcome: 'unauthorized', detail: { method: 'refresh', reason: 'invalid_token' } });
    });

    it('throttled, and error (an unknown service)', async () => {
      for (let i = 0; i < 5; i++) errorCode(await token('carol', 'repository:team/t:pull', 'wrong-password'), 401);
      expect(errorCode(await token('carol', 'repository:team/t:pull', 'wrong-password'), 429)).toBe('TOOMANYREQUESTS');
      expect(await lastToken({ subject: 'carol' })).toMatchObject({ outcome: 'throttled', detail: { reason: 'throttled' } });

      errorCode(await realmGet(t.app, { service: 'elsewhere', scope: 'repository:team/app:pull' }, basic('alice', PASSWORD)), 400);
      expect(await lastToken({ subject: 'alice' })).toMatchObject({ outcome: 'error', detail: { reason: 'invalid_request' } });
    });
  });

  describe('admin changes', () => {
    it('record the actor, the target, the fields with secrets masked, and the result', async () => {
      await admin('PATCH', '/users/bob', { password: 'bob-new-password-1' });
      await admin('PUT', '/projects/team/members/carol', { role: 'developer' });
      expect((await api('DELETE', '/users/nobody')).statusCode).toBe(404);
      const page = await audit({ kind: 'change', limit: '3' });
      expect(page.entries.map((e) => [e.subject, e.outcome, e.detail.action, e.detail.target, e.detail.fields, e.projects])).toEqual([
        [ADMIN.username, 'error', 'DELETE /users/:name', { name: 'nobody' }, {}, []],
        [ADMIN.username, 'ok', 'PUT /projects/:name/members/:principal', { name: 'team', principal: 'carol' }, { role: 'developer' }, ['team']],
        [ADMIN.username, 'ok', 'PATCH /users/:name', { name: 'bob' }, { password: '***' }, []],
      ]);
      expect(JSON.stringify(page)).not.toContain('bob-new-password-1');
    });

    it('a self-service password change names the user, never the passwords', async () => {
      const res = await api('PUT', '/me/password', { oldPassword: PASSWORD, newPassword: 'alice-new-password-1' }, basic('alice', PASSWORD));
      expect(res.statusCode, res.body).toBe(204);
      const [e] = (await audit({ kind: 'change', subject: 'alice' })).entries;
      expect(e).toMatchObject({ outcome: 'ok', detail: { action: 'PUT /me/password', fields: { oldPassword: '***', newPassword: '***' } } });
      await api('PUT', '/me/password', { oldPassword: 'alice-new-password-1', newPassword: PASSWORD }, basic('alice', 'alice-new-password-1'));
    });
  });

  describe('registry events', () => {
    const pushedAt = new Date(Date.now() - 3_600_000).toISOString();
    const envelope = {
      events: [
        {
          id: 'ev-1',
          timestamp: pushedAt,
          action: 'push',
          target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:abc', repository: 'team/app', tag: 'v1' },
          request: { addr: '10.0.0.7:51234', method: 'PUT' },
          actor: { name: 'alice' },
          source: { addr: 'registry:5000' },
        },
        { id: 'ev-2', action: 'pull', target: { repository: 'team/app', digest: 'sha256:abc' }, actor: {} },
        { id: 'ev-3', action: 'something-else', target: { repository: 'team/app' } },
      ],
    };
    const post = (authorization: string | undefined, body: unknown = envelope) =>
      t.app.inject({
        method: 'POST',
        url: '/events',
        headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', ...(authorization ? { authorization } : {}) },
        payload: JSON.stringify(body),
      });

    it('records push and pull with repository, tag, digest, actor and address', async () => {
      const res = await post(`Bearer ${EVENTS_SECRET}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ recorded: 2 });
      const page = await audit({ kind: 'registry', repository: 'team/app' });
      expect(page.entries.map((e) => [e.outcome, e.subject, e.address, e.detail.tag, e.detail.digest, e.detail.source])).toEqual([
        ['pull', null, null, undefined, 'sha256:abc', undefined],
        ['push', 'alice', '10.0.0.7', 'v1', 'sha256:abc', 'registry:5000'],
      ]);
      expect(page.entries[1]?.at).toBe(pushedAt);
    });

    it('refuses a missing or wrong secret (401) and a body that is not an envelope (400)', async () => {
      expect(errorCode(await post(undefined), 401)).toBe('UNAUTHORIZED');
      expect(errorCode(await post('Bearer wrong-secret-of-some-length'), 401)).toBe('UNAUTHORIZED');
      expect(errorCode(await post(`Bearer ${EVENTS_SECRET}`, { notEvents: [] }), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await post(`Bearer ${EVENTS_SECRET}`, { events: [1] }), 400)).toBe('INVALID_REQUEST');
    });
  });

  describe('reading', () => {
    it('a project admin sees the entries of their projects only; a plain user none; robots and strangers are refused', async () => {
      granted(await token('alice', 'repository:other/x:pull'));
      const asDave = await audit({ limit: '500' }, basic('dave', PASSWORD));
      expect(asDave.entries.length).toBeGreaterThan(0);
      expect(asDave.entries.every((e) => e.projects.includes('team'))).toBe(true);
      expect((await audit({}, basic('bob', 'bob-new-password-1'))).entries).toEqual([]);
      expect(errorCode(await api('GET', '/audit', undefined, basic('alice', 'wrong')), 401)).toBe('UNAUTHORIZED');
    });

    it('filters by time, outcome and project, and pages with opaque cursors both ways', async () => {
      const all = await audit({ kind: 'token', limit: '500' });
      const first = await audit({ kind: 'token', limit: '2' });
      expect(first.entries.map((e) => e.id)).toEqual(all.entries.slice(0, 2).map((e) => e.id));
      const second = await audit({ kind: 'token', limit: '2', cursor: first.next ?? '' });
      expect(second.entries.map((e) => e.id)).toEqual(all.entries.slice(2, 4).map((e) => e.id));

      const follow = await audit({ kind: 'token', cursor: first.follow });
      expect(follow.entries).toEqual([]);
      granted(await token('alice', 'repository:team/followed:pull'));
      const followed = await audit({ kind: 'token', cursor: follow.next ?? '' });
      expect(followed.entries.map((e) => e.repositories)).toEqual([['team/followed']]);

      expect((await audit({ outcome: 'throttled' })).entries.every((e) => e.outcome === 'throttled')).toBe(true);
      expect((await audit({ project: 'other' })).entries.every((e) => e.projects.includes('other'))).toBe(true);
      expect((await audit({ from: new Date(Date.now() + 60_000).toISOString() })).entries).toEqual([]);
      expect(errorCode(await api('GET', '/audit?cursor=bm9wZQ'), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await api('GET', '/audit?outcome=maybe'), 400)).toBe('INVALID_REQUEST');
    });
  });

  it('reads segments written before the compact format (a gzipped JSON array of entries)', async () => {
    const old = [
      {
        kind: 'change',
        at: new Date(Date.now() - 86_400_000).toISOString(),
        subject: 'legacy',
        address: null,
        projects: [],
        repositories: [],
        outcome: 'ok',
        detail: { action: 'POST /users', target: {}, fields: { username: 'x' }, status: 201 },
      },
    ];
    // Written as the SQL store wrote it before format 2, straight into the table.
    const db = (t.app.services.store.audit as unknown as { db: SqlClient }).db;
    await db.query(
      `INSERT INTO audit_segments (first_at, last_at, entries, kinds, subjects, outcomes, projects, repositories, body)
       VALUES ($1, $1, 1, '{change}', '{legacy}', '{ok}', '{}', '{}', decode($2, 'base64'))`,
      [new Date(old[0]?.at as string), gzipSync(JSON.stringify(old)).toString('base64')],
    );
    const page = await audit({ subject: 'legacy' });
    expect(page.entries.map(({ id: _, ...e }) => e)).toEqual(old);
  });

  it('the retention sweep deletes what is older than retentionDays, and only that', async () => {
    const old = new Date(Date.now() - 91 * 86_400_000);
    const entry = { kind: 'change' as const, subject: 'ancient', address: null, projects: [], repositories: [], outcome: 'ok' as const };
    // Two writes: the sweep deletes whole segments (one per write), once their newest entry is past the retention.
    await t.app.services.store.audit.append(segmentOf([{ ...entry, at: old, detail: { action: 'old', target: {}, fields: {}, status: 200 } }]));
    await t.app.services.store.audit.append(
      segmentOf([{ ...entry, at: new Date(Date.now() - 89 * 86_400_000), detail: { action: 'recent', target: {}, fields: {}, status: 200 } }]),
    );
    expect(await t.app.services.audit.sweep()).toBe(1);
    expect((await audit({ subject: 'ancient' })).entries.map((e) => e.detail.action)).toEqual(['recent']);
  });
});

describe('the audit trail on PostgreSQL shared by replicas', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildStoreApp('postgres', postgres);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('appends one segment at a time, so ids follow commit order and a follower never misses one committed late', async () => {
    const db = (t.app.services.store.audit as unknown as { db: SqlClient }).db;
    const at = new Date();
    const segment = (subject: string) =>
      segmentOf([
        {
          kind: 'change',
          at,
          subject,
          address: null,
          projects: [],
          repositories: [],
          outcome: 'ok',
          detail: { action: 'x', target: {}, fields: {}, status: 200 },
        },
      ]);
    // Another replica in the middle of its append: it holds the append lock until it commits.
    let commit = () => {};
    let holding = () => {};
    const held = new Promise<void>((r) => {
      holding = r;
    });
    const other = db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.auditAppend]);
      const [row] = await tx.query<{ id: string }>(
        `INSERT INTO audit_segments (first_at, last_at, entries, kinds, subjects, outcomes, projects, repositories, body)
         VALUES (now(), now(), 0, '{}', '{early}', '{}', '{}', '{}', '') RETURNING id::text AS id`,
      );
      holding();
      await new Promise<void>((r) => {
        commit = r;
      });
      return row?.id;
    });
    await held;
    let appended = false;
    const append = t.app.services.store.audit.append(segment('late')).then(() => {
      appended = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(appended).toBe(false);
    commit();
    const earlyId = BigInt((await other) as string);
    await append;
    const [late] = await db.query<{ id: string }>("SELECT id::text AS id FROM audit_segments WHERE subjects = '{late}'");
    expect(BigInt(late?.id as string)).toBeGreaterThan(earlyId);
  });
});
