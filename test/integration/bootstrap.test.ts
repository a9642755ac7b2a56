import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { granted, realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();

describe.each(STORES)('first start on the %s store', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const projects = async (app: TestApp, authorization: string) => {
    const res = await app.app.inject({ url: '/api/v1/projects', headers: { authorization } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ name: string; public: boolean }[]>();
  };

  it('creates the configured admin and a public library project', async () => {
    t = await buildStoreApp(kind, postgres);
    expect(t.app.services.bootstrap).toEqual({ created: true });
    expect(await projects(t, ADMIN_AUTH)).toEqual([expect.objectContaining({ name: 'library', public: true })]);
    const users = await t.app.inject({ url: '/api/v1/users', headers: { authorization: ADMIN_AUTH } });
    expect(users.json()).toEqual([expect.objectContaining({ username: ADMIN.username, admin: true, disabled: false })]);
    expect(granted(await realmGet(t.app, { service: 'registry', scope: 'registry:catalog:*' }, ADMIN_AUTH)).access).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('generates an admin password when none is configured, and it works', async () => {
    t = await buildStoreApp(kind, postgres, { admin: { username: 'root', password: undefined } });
    const generated = t.app.services.bootstrap.generatedPassword;
    expect(generated).toBeDefined();
    const password = generated?.reveal() ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(String(generated)).toBe('***');
    expect(await projects(t, basic('root', password))).toEqual([expect.objectContaining({ name: 'library' })]);
    const wrong = await t.app.inject({ url: '/api/v1/projects', headers: { authorization: basic('root', ADMIN.password) } });
    expect(wrong.statusCode).toBe(401);
  });

  it('a later start on the same data changes nothing: a deleted library stays deleted', async () => {
    t = await buildStoreApp(kind, postgres, { admin: { password: undefined } });
    const asAdmin = basic(ADMIN.username, t.app.services.bootstrap.generatedPassword?.reveal() ?? '');
    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/projects/library', headers: { authorization: asAdmin } });
    expect(del.statusCode).toBe(204);
    await t.restart();
    expect(t.app.services.bootstrap).toEqual({ created: false });
    expect(await projects(t, asAdmin)).toEqual([]);
    expect(granted(await realmGet(t.app, { service: 'registry', scope: 'repository:library/alpine:pull' })).access).toEqual([]);
  });
});
