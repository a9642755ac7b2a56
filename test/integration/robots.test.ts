import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, basic, sqlOf, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const postgres = usePostgres();
const path = (name: string) => `/robots/${encodeURIComponent(name)}`;

interface RobotBody {
  name: string;
  project: string | null;
  disabled: boolean;
  expiresAt: string | null;
  permissions: { project: string; actions: string[] }[];
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  secret?: string;
}

describe.each(STORES)('robot accounts on the %s store', (kind) => {
  let t: TestApp;
  const call = (method: Method, url: string, payload?: object, authorization = ADMIN_AUTH): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization }, ...(payload ? { payload } : {}) });
  const ok = async (method: Method, url: string, payload?: object, status = 200): Promise<RobotBody> => {
    const res = await call(method, url, payload);
    expect(res.statusCode, res.body).toBe(status);
    return res.body ? res.json<RobotBody>() : (undefined as unknown as RobotBody);
  };
  /** The actions `name` gets on `repo` for pull,push,delete, or the status when refused. */
  const ask = async (name: string, secret: string, repo = 'team/app'): Promise<string[] | number> => {
    const res = await realmGet(t.app, { service: 'registry', scope: `repository:${repo}:pull,push,delete` }, basic(name, secret));
    if (res.statusCode !== 200) return res.statusCode;
    return (granted(res).access as { actions: string[] }[])[0]?.actions ?? [];
  };

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres);
    await ok('POST', '/projects', { name: 'team' }, 201);
    await ok('POST', '/projects', { name: 'other' }, 201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a project robot with a secret shown once; list and show never carry it', async () => {
    const created = await ok(
      'POST',
      '/robots',
      { name: 'ci', project: 'team', description: 'CI pulls', permissions: [{ project: 'team', actions: ['pull'] }] },
      201,
    );
    expect(created).toMatchObject({
      name: 'robot$team+ci',
      project: 'team',
      disabled: false,
      expiresAt: null,
      permissions: [{ project: 'team', actions: ['pull'] }],
    });
    expect(created.secret).toMatch(/^pcb_[A-Za-z0-9_-]{43}$/);
    const secret = created.secret as string;
    const list = await call('GET', '/robots');
    const shown = await call('GET', path('robot$team+ci'));
    expect(shown.json()).toMatchObject({ name: 'robot$team+ci', description: 'CI pulls' });
    for (const res of [list, shown]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toMatch(/secret|[0-9a-f]{64}/i);
    }
    expect((await call('GET', '/robots?project=team')).json<RobotBody[]>().map((r) => r.name)).toEqual(['robot$team+ci']);
    expect((await call('GET', '/robots?project=other')).json()).toEqual([]);
    await ok('DELETE', path('robot$team+ci'), undefined, 204);
  });

  it('a pull-only project robot pulls its project and nothing else; a push robot pushes', async () => {
    const pull = await ok('POST', '/robots', { name: 'puller', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] }, 201);
    const push = await ok('POST', '/robots', { name: 'pusher', project: 'team', permissions: [{ project: 'team', actions: ['pull', 'push'] }] }, 201);
    expect(await ask(pull.name, pull.secret as string)).toEqual(['pull']);
    expect(await ask(pull.name, pull.secret as string, 'other/app')).toEqual([]);
    // library is public, yet a robot gets exactly its permissions.
    expect(await ask(pull.name, pull.secret as string, 'library/nginx')).toEqual([]);
    expect(await ask(push.name, push.secret as string)).toEqual(['pull', 'push']);
    const catalog = await realmGet(t.app, { service: 'registry', scope: 'registry:catalog:*' }, basic(push.name, push.secret as string));
    expect(granted(catalog).access).toEqual([]);
    expect(granted(catalog).claims.sub).toBe('robot$team+pusher');
  });

  it('a system robot acts on the projects it names, or on every project', async () => {
    const some = await ok('POST', '/robots', { name: 'mirror', permissions: [{ project: 'other', actions: ['pull', 'push', 'delete'] }] }, 201);
    expect(some.name).toBe('robot$mirror');
    expect(await ask(some.name, some.secret as string, 'other/app')).toEqual(['pull', 'push', 'delete']);
    expect(await ask(some.name, some.secret as string)).toEqual([]);
    const all = await ok('POST', '/robots', { name: 'scanner', permissions: [{ project: '*', actions: ['pull'] }] }, 201);
    expect(all.permissions).toEqual([{ project: '*', actions: ['pull'] }]);
    for (const repo of ['team/app', 'other/app', 'library/x']) expect(await ask(all.name, all.secret as string, repo)).toEqual(['pull']);
    expect(await ask(all.name, all.secret as string, 'nosuch/app')).toEqual([]);
  });

  it('refuses a wrong secret, an unknown robot, a disabled and an expired one with 401', async () => {
    const r = await ok('POST', '/robots', { name: 'gate', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] }, 201);
    const secret = r.secret as string;
    expect(await ask(r.name, `${secret}x`)).toBe(401);
    expect(await ask('robot$team+ghost', secret)).toBe(401);
    expect((await ok('PATCH', path(r.name), { disabled: true })).disabled).toBe(true);
    expect(await ask(r.name, secret)).toBe(401);
    await ok('PATCH', path(r.name), { disabled: false });
    expect(await ask(r.name, secret)).toEqual(['pull']);
    expect((await ok('PATCH', path(r.name), { expiresInDays: 0 })).expiresAt).not.toBeNull();
    expect(await ask(r.name, secret)).toBe(401);
    await ok('PATCH', path(r.name), { expiresInDays: 30 });
    expect(await ask(r.name, secret)).toEqual(['pull']);
    // An expiry in the past, written straight into the store.
    await sqlOf(t).query("UPDATE robots SET expires_at = now() - interval '1 day' WHERE name = $1", [r.name]);
    await t.app.services.store.robots.update(r.name, { description: 'touched' });
    expect(await ask(r.name, secret)).toBe(401);
    const created = await ok(
      'POST',
      '/robots',
      { name: 'brief', project: 'team', expiresInDays: 0, permissions: [{ project: 'team', actions: ['pull'] }] },
      201,
    );
    expect(await ask(created.name, created.secret as string)).toBe(401);
  });

  it('refresh: the old secret stops at once, the new one works', async () => {
    const r = await ok('POST', '/robots', { name: 'rot', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] }, 201);
    const refreshed = await ok('POST', `${path(r.name)}/refresh`, {});
    expect(refreshed.secret).toMatch(/^pcb_/);
    expect(refreshed.secret).not.toBe(r.secret);
    expect(await ask(r.name, r.secret as string)).toBe(401);
    expect(await ask(r.name, refreshed.secret as string)).toEqual(['pull']);
  });

  it('patches permissions, and deleting a robot ends its logins', async () => {
    const r = await ok('POST', '/robots', { name: 'grow', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] }, 201);
    const patched = await ok('PATCH', path(r.name), { permissions: [{ project: 'team', actions: ['push', 'pull'] }], description: 'now pushes' });
    expect(patched.permissions).toEqual([{ project: 'team', actions: ['pull', 'push'] }]);
    expect(await ask(r.name, r.secret as string)).toEqual(['pull', 'push']);
    await ok('DELETE', path(r.name), undefined, 204);
    expect(await ask(r.name, r.secret as string)).toBe(401);
    expect(errorCode(await call('GET', path(r.name)), 404)).toBe('NOT_FOUND');
  });

  it('deleting the project deletes its robots and every permission on it', async () => {
    await ok('POST', '/projects', { name: 'gone' }, 201);
    const own = await ok('POST', '/robots', { name: 'x', project: 'gone', permissions: [{ project: 'gone', actions: ['pull'] }] }, 201);
    const sys = await ok(
      'POST',
      '/robots',
      {
        name: 'gone-and-team',
        permissions: [
          { project: 'gone', actions: ['pull'] },
          { project: 'team', actions: ['pull'] },
        ],
      },
      201,
    );
    await ok('DELETE', '/projects/gone', undefined, 204);
    expect(await ask(own.name, own.secret as string, 'gone/app')).toBe(401);
    expect(errorCode(await call('GET', path(own.name)), 404)).toBe('NOT_FOUND');
    expect((await ok('GET', path(sys.name))).permissions).toEqual([{ project: 'team', actions: ['pull'] }]);
    await ok('POST', '/projects', { name: 'gone' }, 201);
    expect(await ask(sys.name, sys.secret as string, 'gone/app')).toEqual([]);
  });

  it('records the last use in batches, not per token', async () => {
    const r = await ok('POST', '/robots', { name: 'used', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] }, 201);
    for (let i = 0; i < 3; i++) expect(await ask(r.name, r.secret as string)).toEqual(['pull']);
    expect((await ok('GET', path(r.name))).lastUsedAt).toBeNull();
    await t.app.services.robotUsage.flush();
    const shown = await ok('GET', path(r.name));
    expect(shown.lastUsedIp).toBe('127.0.0.1');
    expect(Date.parse(shown.lastUsedAt as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a robot cannot use the API, nor get an identity token', async () => {
    const r = await ok('POST', '/robots', { name: 'nosy', permissions: [{ project: '*', actions: ['pull', 'push', 'delete'] }] }, 201);
    const auth = basic(r.name, r.secret as string);
    expect(errorCode(await call('GET', '/robots', undefined, auth), 403)).toBe('DENIED');
    expect(errorCode(await call('GET', '/me', undefined, auth), 403)).toBe('DENIED');
    const res = await realmGet(t.app, { service: 'registry', offline_token: 'true', scope: 'repository:team/app:pull' }, auth);
    expect(granted(res).body.refresh_token).toBeUndefined();
  });

  it('refuses bad requests: 400, 404, 409', async () => {
    const bad = [
      { name: 'Bad', permissions: [{ project: 'team', actions: ['pull'] }] },
      { name: 'a+b', permissions: [{ project: 'team', actions: ['pull'] }] },
      { name: 'ok', permissions: [] },
      { name: 'ok', permissions: [{ project: 'team', actions: [] }] },
      { name: 'ok', permissions: [{ project: 'team', actions: ['admin'] }] },
      {
        name: 'ok',
        permissions: [
          { project: 'team', actions: ['pull'] },
          { project: 'team', actions: ['push'] },
        ],
      },
      { name: 'ok', project: 'team', permissions: [{ project: 'other', actions: ['pull'] }] },
      { name: 'ok', project: 'team', permissions: [{ project: '*', actions: ['pull'] }] },
      { name: 'ok', expiresInDays: -2, permissions: [{ project: 'team', actions: ['pull'] }] },
      { name: 'ok', secret: 'mine', permissions: [{ project: 'team', actions: ['pull'] }] },
    ];
    for (const body of bad) expect(errorCode(await call('POST', '/robots', body), 400), JSON.stringify(body)).toBe('INVALID_REQUEST');
    expect(errorCode(await call('POST', '/robots', { name: 'ok', project: 'nosuch', permissions: [{ project: 'nosuch', actions: ['pull'] }] }), 404)).toBe(
      'NOT_FOUND',
    );
    expect(errorCode(await call('POST', '/robots', { name: 'ok', permissions: [{ project: 'nosuch', actions: ['pull'] }] }), 404)).toBe('NOT_FOUND');
    await ok('POST', '/robots', { name: 'twice', permissions: [{ project: 'team', actions: ['pull'] }] }, 201);
    expect(errorCode(await call('POST', '/robots', { name: 'twice', permissions: [{ project: 'team', actions: ['pull'] }] }), 409)).toBe('CONFLICT');
    expect(errorCode(await call('PATCH', path('robot$ghost'), { disabled: true }), 404)).toBe('NOT_FOUND');
    expect(errorCode(await call('POST', `${path('robot$ghost')}/refresh`, {}), 404)).toBe('NOT_FOUND');
    expect(errorCode(await call('DELETE', path('robot$ghost')), 404)).toBe('NOT_FOUND');
    expect(errorCode(await call('PATCH', path('robot$twice'), {}), 400)).toBe('INVALID_REQUEST');
    expect(errorCode(await call('GET', '/robots', undefined, basic('plain-nobody', 'x')), 401)).toBe('UNAUTHORIZED');
  });
});
