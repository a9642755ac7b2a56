import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, basic, sqlOf, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const postgres = usePostgres();
const PASSWORD = 'carol-password-1';

interface TokenBody {
  id: number;
  owner: string;
  name: string;
  projects: string[] | null;
  actions: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  token?: string;
}

describe.each(STORES)('personal access tokens on the %s store', (kind) => {
  let t: TestApp;
  const carol = basic('carol', PASSWORD);
  const call = (method: Method, url: string, authorization: string, payload?: object): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization }, ...(payload ? { payload } : {}) });
  const ok = async <T = TokenBody>(method: Method, url: string, authorization: string, payload?: object, status = 200): Promise<T> => {
    const res = await call(method, url, authorization, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return (res.body ? res.json() : undefined) as T;
  };
  const create = (payload: object, as = carol) => ok('POST', '/me/tokens', as, payload, 201);
  /** What `user` with `password` gets on `repo` for pull,push,delete, or the status when refused. */
  const ask = async (password: string, repo = 'team/app', user = 'carol'): Promise<string[] | number> => {
    const res = await realmGet(t.app, { service: 'registry', scope: `repository:${repo}:pull,push,delete` }, basic(user, password));
    if (res.statusCode !== 200) return res.statusCode;
    return (granted(res).access as { actions: string[] }[])[0]?.actions ?? [];
  };
  const setRole = (project: string, role: string) => ok('PUT', `/projects/${project}/members/carol`, ADMIN_AUTH, { role });

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres);
    await ok('POST', '/users', ADMIN_AUTH, { username: 'carol', password: PASSWORD }, 201);
    await ok('POST', '/users', ADMIN_AUTH, { username: 'dave', password: 'dave-password-1' }, 201);
    for (const name of ['team', 'other']) await ok('POST', '/projects', ADMIN_AUTH, { name }, 201);
    await setRole('team', 'developer');
    await setRole('other', 'developer');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is shown once at creation, stored as a hash, and never listed', async () => {
    const created = await create({ name: 'laptop' });
    expect(created.token).toMatch(/^pcp_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ owner: 'carol', name: 'laptop', projects: null, actions: ['pull', 'push', 'delete'] });
    // Nobody said how long: 90 days, not forever.
    const days = (Date.parse(created.expiresAt as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    const rows = await sqlOf(t).query<{ token_hash: string }>('SELECT token_hash FROM access_tokens WHERE id = $1', [created.id]);
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(created.token);
    for (const res of [
      await call('GET', '/me/tokens', carol),
      await call('GET', '/tokens', ADMIN_AUTH),
      await call('GET', '/users/carol/tokens', ADMIN_AUTH),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('laptop');
      expect(res.body).not.toContain(created.token);
      expect(res.body).not.toMatch(/[0-9a-f]{64}/);
    }
    await ok('DELETE', `/me/tokens/${created.id}`, carol, undefined, 204);
  });

  it("grants the token's limits intersected with the owner's rights, at each request", async () => {
    const all = await create({ name: 'all' });
    const pullTeam = await create({ name: 'pull-team', projects: ['team'], actions: ['pull'] });
    expect(await ask(all.token as string)).toEqual(['pull', 'push']);
    expect(await ask(pullTeam.token as string)).toEqual(['pull']);
    expect(await ask(pullTeam.token as string, 'other/app')).toEqual([]);
    // Demoted to guest: push is gone through every token at once.
    await setRole('team', 'guest');
    expect(await ask(all.token as string)).toEqual(['pull']);
    await setRole('team', 'maintainer');
    expect(await ask(all.token as string)).toEqual(['pull', 'push', 'delete']);
    expect(await ask(pullTeam.token as string)).toEqual(['pull']);
    await setRole('team', 'developer');
    // Made a system admin: still no more than the token's limits, and no catalog for a limited token.
    await ok('PATCH', '/users/carol', ADMIN_AUTH, { admin: true });
    expect(await ask(pullTeam.token as string)).toEqual(['pull']);
    const catalog = async (password: string) =>
      granted(await realmGet(t.app, { service: 'registry', scope: 'registry:catalog:*' }, basic('carol', password))).access;
    expect(await catalog(pullTeam.token as string)).toEqual([]);
    expect(await catalog(all.token as string)).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    await ok('PATCH', '/users/carol', ADMIN_AUTH, { admin: false });
    for (const tok of [all, pullTeam]) await ok('DELETE', `/me/tokens/${tok.id}`, carol, undefined, 204);
  });

  it('works only with its owner as the username, and never gets an identity token', async () => {
    const tok = await create({ name: 'owner-only' });
    expect(await ask(tok.token as string, 'team/app', 'dave')).toBe(401);
    expect(await ask(tok.token as string, 'team/app', 'admin')).toBe(401);
    const res = await realmGet(
      t.app,
      { service: 'registry', scope: 'repository:team/app:pull', offline_token: 'true', client_id: 'docker' },
      basic('carol', tok.token as string),
    );
    expect(granted(res).body.refresh_token).toBeUndefined();
    await ok('DELETE', `/me/tokens/${tok.id}`, carol, undefined, 204);
  });

  it('stops at expiry, at revocation, and with its owner disabled or deleted', async () => {
    const expired = await create({ name: 'expired', expiresInDays: 0 });
    expect(await ask(expired.token as string)).toBe(401);
    const never = await create({ name: 'never', expiresInDays: -1 });
    expect(never.expiresAt).toBeNull();
    expect(await ask(never.token as string)).toEqual(['pull', 'push']);
    await ok('DELETE', `/users/carol/tokens/${never.id}`, ADMIN_AUTH, undefined, 204);
    expect(await ask(never.token as string)).toBe(401);

    const kept = await create({ name: 'kept' });
    await ok('PATCH', '/users/carol', ADMIN_AUTH, { disabled: true });
    expect(await ask(kept.token as string)).toBe(401);
    await ok('PATCH', '/users/carol', ADMIN_AUTH, { disabled: false });
    expect(await ask(kept.token as string)).toEqual(['pull', 'push']);
    // A password change keeps tokens: they are separate credentials, revoked on their own.
    await ok('PATCH', '/users/carol', ADMIN_AUTH, { password: PASSWORD });
    expect(await ask(kept.token as string)).toEqual(['pull', 'push']);
    await ok('DELETE', `/me/tokens/${expired.id}`, carol, undefined, 204);
  });

  it('goes with its owner when the owner is deleted', async () => {
    await ok('POST', '/users', ADMIN_AUTH, { username: 'erin', password: 'erin-password-1' }, 201);
    const erin = basic('erin', 'erin-password-1');
    await ok('PUT', '/projects/team/members/erin', ADMIN_AUTH, { role: 'developer' });
    const tok = await create({ name: 'ci' }, erin);
    expect(await ask(tok.token as string, 'team/app', 'erin')).toEqual(['pull', 'push']);
    await ok('DELETE', '/users/erin', ADMIN_AUTH, undefined, 204);
    expect(await ask(tok.token as string, 'team/app', 'erin')).toBe(401);
    expect(await sqlOf(t).query('SELECT id FROM access_tokens WHERE id = $1', [tok.id])).toEqual([]);
  });

  it('is managed by its owner and by system admins, not by other users nor by a token', async () => {
    const tok = await create({ name: 'mine' });
    const dave = basic('dave', 'dave-password-1');
    expect(errorCode(await call('GET', '/users/carol/tokens', dave), 403)).toBe('DENIED');
    expect(errorCode(await call('DELETE', `/users/carol/tokens/${tok.id}`, dave), 403)).toBe('DENIED');
    expect(errorCode(await call('GET', '/tokens', dave), 403)).toBe('DENIED');
    // dave deleting "his" token of that id finds none: ids do not cross owners.
    expect(errorCode(await call('DELETE', `/me/tokens/${tok.id}`, dave), 404)).toBe('NOT_FOUND');
    expect((await ok<TokenBody[]>('GET', '/me/tokens', dave)).length).toBe(0);
    // A token is not the password: no API, no new tokens, no password change with it.
    const withToken = basic('carol', tok.token as string);
    expect(errorCode(await call('GET', '/me', withToken), 403)).toBe('DENIED');
    expect(errorCode(await call('POST', '/me/tokens', withToken, { name: 'more' }), 403)).toBe('DENIED');
    expect(errorCode(await call('PUT', '/me/password', carol, { oldPassword: tok.token, newPassword: 'taken-over-123' }), 403)).toBe('DENIED');
    await ok('DELETE', `/me/tokens/${tok.id}`, carol, undefined, 204);
  });

  it('refuses bad requests with 400, a missing project with 404, a duplicate name with 409', async () => {
    expect(errorCode(await call('POST', '/me/tokens', carol, { name: 'bad name!' }), 400)).toBe('INVALID_REQUEST');
    expect(errorCode(await call('POST', '/me/tokens', carol, { name: 'x', actions: ['fly'] }), 400)).toBe('INVALID_REQUEST');
    expect(errorCode(await call('POST', '/me/tokens', carol, { name: 'x', projects: [] }), 400)).toBe('INVALID_REQUEST');
    expect(errorCode(await call('POST', '/me/tokens', carol, { name: 'x', expiresInDays: 5000 }), 400)).toBe('INVALID_REQUEST');
    expect(errorCode(await call('POST', '/me/tokens', carol, { name: 'x', projects: ['nope'] }), 404)).toBe('NOT_FOUND');
    const tok = await create({ name: 'dup' });
    expect(errorCode(await call('POST', '/me/tokens', carol, { name: 'dup' }), 409)).toBe('CONFLICT');
    expect(errorCode(await call('DELETE', '/me/tokens/0', carol), 400)).toBe('INVALID_REQUEST');
    await ok('DELETE', `/me/tokens/${tok.id}`, carol, undefined, 204);
  });

  it('records when and from where it was last used, in a batch', async () => {
    const tok = await create({ name: 'used' });
    expect(await ask(tok.token as string)).toEqual(['pull', 'push']);
    await t.app.services.accessTokenUsage.flush();
    const [listed] = (await ok<TokenBody[]>('GET', '/me/tokens', carol)).filter((x) => x.id === tok.id);
    expect(listed?.lastUsedAt).not.toBeNull();
    await ok('DELETE', `/me/tokens/${tok.id}`, carol, undefined, 204);
  });

  it('leaves a password that merely starts like a token to the password backends', async () => {
    await ok('POST', '/users', ADMIN_AUTH, { username: 'pat-lookalike', password: 'pcp_not-a-token-at-all' }, 201);
    await ok('PUT', '/projects/team/members/pat-lookalike', ADMIN_AUTH, { role: 'guest' });
    expect(await ask('pcp_not-a-token-at-all', 'team/app', 'pat-lookalike')).toEqual(['pull']);
  });
});
