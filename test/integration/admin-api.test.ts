import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const PASSWORD = 'a-good-password';

const postgres = usePostgres();

describe.each(STORES)('admin API on the %s store', (kind) => {
  let t: TestApp;
  const call = (method: Method, url: string, payload?: object, authorization = ADMIN_AUTH): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization }, ...(payload ? { payload } : {}) });
  const ok = async (method: Method, url: string, payload?: object, status = 200) => {
    const res = await call(method, url, payload);
    expect(res.statusCode, res.body).toBe(status);
    return res;
  };

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres);
    await ok('POST', '/users', { username: 'plain', password: PASSWORD }, 201);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('access', () => {
    it('needs Basic credentials', async () => {
      const res = await t.app.inject({ url: '/api/v1/users' });
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    });

    it('refuses a wrong password, and an unknown user, with 401', async () => {
      expect(errorCode(await call('GET', '/users', undefined, basic(ADMIN.username, 'wrong-password')), 401)).toBe('UNAUTHORIZED');
      expect(errorCode(await call('GET', '/users', undefined, basic('ghost', PASSWORD)), 401)).toBe('UNAUTHORIZED');
    });

    it('refuses a user who is not a system admin with 403, on reads and writes', async () => {
      const plain = basic('plain', PASSWORD);
      expect(errorCode(await call('GET', '/projects', undefined, plain), 403)).toBe('DENIED');
      expect(errorCode(await call('POST', '/projects', { name: 'sneaky' }, plain), 403)).toBe('DENIED');
      expect((await call('GET', '/projects')).json()).not.toContainEqual(expect.objectContaining({ name: 'sneaky' }));
    });
  });

  describe('users', () => {
    it('creates, lists, updates and deletes; never shows a password or hash', async () => {
      const created = await ok('POST', '/users', { username: 'u1', password: PASSWORD, admin: false }, 201);
      expect(created.json()).toMatchObject({ username: 'u1', admin: false, disabled: false, source: 'local' });
      const list = await ok('GET', '/users');
      expect(list.json<{ username: string }[]>().map((u) => u.username)).toEqual(expect.arrayContaining(['admin', 'plain', 'u1']));
      expect(list.body).not.toMatch(/password|\$2[aby]\$/);
      expect((await ok('PATCH', '/users/u1', { admin: true })).json()).toMatchObject({ username: 'u1', admin: true });
      await ok('PATCH', '/users/u1', { password: 'another-password' });
      expect(granted(await realmGet(t.app, { service: 'registry' }, basic('u1', 'another-password'))).claims.sub).toBe('u1');
      await ok('DELETE', '/users/u1', undefined, 204);
      expect((await ok('GET', '/users')).json<{ username: string }[]>().map((u) => u.username)).not.toContain('u1');
    });

    it('refuses invalid bodies with 400', async () => {
      const bodies = [
        { username: 'x1', password: PASSWORD, extra: true },
        { username: 'x2', password: 'short' },
        { username: 'bad name!', password: PASSWORD },
        { username: 'x3' },
        { username: 'x4', password: PASSWORD, admin: 'yes' },
      ];
      for (const body of bodies) expect(errorCode(await call('POST', '/users', body), 400), JSON.stringify(body)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PATCH', '/users/plain', {}), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PATCH', '/users/plain', { role: 'admin' }), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PATCH', '/users/plain', { password: 'short' }), 400)).toBe('INVALID_REQUEST');
    });

    it('answers 404 for a missing user and 409 for a duplicate', async () => {
      expect(errorCode(await call('PATCH', '/users/ghost', { disabled: true }), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('DELETE', '/users/ghost'), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('POST', '/users', { username: 'plain', password: PASSWORD }), 409)).toBe('CONFLICT');
    });

    it('keeps the last enabled admin: no delete, disable or demote (409)', async () => {
      expect(errorCode(await call('DELETE', '/users/admin'), 409)).toBe('CONFLICT');
      expect(errorCode(await call('PATCH', '/users/admin', { disabled: true }), 409)).toBe('CONFLICT');
      expect(errorCode(await call('PATCH', '/users/admin', { admin: false }), 409)).toBe('CONFLICT');
      await ok('POST', '/users', { username: 'admin2', password: PASSWORD, admin: true }, 201);
      await ok('PATCH', '/users/admin2', { disabled: true });
      expect(errorCode(await call('PATCH', '/users/admin', { admin: false }), 409)).toBe('CONFLICT');
      await ok('PATCH', '/users/admin2', { disabled: false });
      await ok('PATCH', '/users/admin2', { admin: false });
      await ok('DELETE', '/users/admin2', undefined, 204);
    });

    it('a disabled admin can no longer use the API', async () => {
      await ok('POST', '/users', { username: 'admin3', password: PASSWORD, admin: true }, 201);
      expect((await call('GET', '/users', undefined, basic('admin3', PASSWORD))).statusCode).toBe(200);
      await ok('PATCH', '/users/admin3', { disabled: true });
      expect(errorCode(await call('GET', '/users', undefined, basic('admin3', PASSWORD)), 401)).toBe('UNAUTHORIZED');
      await ok('DELETE', '/users/admin3', undefined, 204);
    });
  });

  describe('projects', () => {
    it('creates, lists, toggles public and deletes', async () => {
      expect((await ok('POST', '/projects', { name: 'p1' }, 201)).json()).toMatchObject({ name: 'p1', public: false });
      expect((await ok('POST', '/projects', { name: 'p2', public: true }, 201)).json()).toMatchObject({ name: 'p2', public: true });
      const names = (await ok('GET', '/projects')).json<{ name: string; public: boolean }[]>();
      expect(names).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'library', public: true }), expect.objectContaining({ name: 'p1' })]));
      expect((await ok('PATCH', '/projects/p1', { public: true })).json()).toMatchObject({ name: 'p1', public: true });
      await ok('DELETE', '/projects/p1', undefined, 204);
      await ok('DELETE', '/projects/p2', undefined, 204);
      expect((await ok('GET', '/projects')).json<{ name: string }[]>().map((p) => p.name)).not.toContain('p1');
    });

    it('refuses bad names and bodies with 400', async () => {
      for (const body of [{ name: 'Upper' }, { name: 'with/slash' }, { name: '-lead' }, { name: 'a--b_' }, { name: 'ok', owner: 'x' }, {}]) {
        expect(errorCode(await call('POST', '/projects', body), 400), JSON.stringify(body)).toBe('INVALID_REQUEST');
      }
      expect(errorCode(await call('PATCH', '/projects/library', { public: 'yes' }), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PATCH', '/projects/library', {}), 400)).toBe('INVALID_REQUEST');
    });

    it('answers 404 for a missing project and 409 for a duplicate', async () => {
      expect(errorCode(await call('PATCH', '/projects/ghost', { public: true }), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('DELETE', '/projects/ghost'), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('GET', '/projects/ghost/members'), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('POST', '/projects', { name: 'library' }), 409)).toBe('CONFLICT');
    });
  });

  describe('members', () => {
    beforeAll(async () => {
      await ok('POST', '/projects', { name: 'crew' }, 201);
      await ok('POST', '/users', { username: 'm1', password: PASSWORD }, 201);
    });

    it('sets, changes, lists and removes user and group members', async () => {
      expect((await ok('PUT', '/projects/crew/members/m1', { role: 'guest' })).json()).toEqual({ kind: 'user', name: 'm1', role: 'guest' });
      await ok('PUT', '/projects/crew/members/m1', { role: 'developer' });
      expect((await ok('PUT', '/projects/crew/members/group%3Adevs', { role: 'maintainer' })).json()).toEqual({
        kind: 'group',
        name: 'devs',
        role: 'maintainer',
      });
      expect((await ok('GET', '/projects/crew/members')).json()).toEqual([
        { kind: 'user', name: 'm1', role: 'developer' },
        { kind: 'group', name: 'devs', role: 'maintainer' },
      ]);
      await ok('DELETE', '/projects/crew/members/group:devs', undefined, 204);
      await ok('DELETE', '/projects/crew/members/m1', undefined, 204);
      expect((await ok('GET', '/projects/crew/members')).json()).toEqual([]);
    });

    it('refuses a bad role (400), a missing user, project or membership (404)', async () => {
      expect(errorCode(await call('PUT', '/projects/crew/members/m1', { role: 'owner' }), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PUT', '/projects/crew/members/m1', { role: 'guest', extra: 1 }), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PUT', '/projects/crew/members/group%3A', { role: 'guest' }), 400)).toBe('INVALID_REQUEST');
      expect(errorCode(await call('PUT', '/projects/crew/members/ghost', { role: 'guest' }), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('PUT', '/projects/ghost/members/m1', { role: 'guest' }), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('DELETE', '/projects/crew/members/m1'), 404)).toBe('NOT_FOUND');
      expect(errorCode(await call('DELETE', '/projects/crew/members/group:nobody'), 404)).toBe('NOT_FOUND');
    });

    it('deleting a user removes their memberships', async () => {
      await ok('POST', '/users', { username: 'm2', password: PASSWORD }, 201);
      await ok('PUT', '/projects/crew/members/m2', { role: 'guest' });
      await ok('DELETE', '/users/m2', undefined, 204);
      expect((await ok('GET', '/projects/crew/members')).json()).not.toContainEqual(expect.objectContaining({ name: 'm2' }));
      await ok('POST', '/users', { username: 'm2', password: PASSWORD }, 201);
      expect((await ok('GET', '/projects/crew/members')).json()).not.toContainEqual(expect.objectContaining({ name: 'm2' }));
    });

    it('deleting a project removes its members', async () => {
      await ok('PUT', '/projects/crew/members/m1', { role: 'guest' });
      await ok('DELETE', '/projects/crew', undefined, 204);
      await ok('POST', '/projects', { name: 'crew' }, 201);
      expect((await ok('GET', '/projects/crew/members')).json()).toEqual([]);
    });
  });
});
