import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/model.js';
import { Secret } from '../../src/domain/secret.js';
import { ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { granted, realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const PASSWORD = 'member-password-1';
const ROLE_ACTIONS: [Role, string[]][] = [
  ['admin', ['pull', 'push', 'delete']],
  ['maintainer', ['pull', 'push', 'delete']],
  ['developer', ['pull', 'push']],
  ['guest', ['pull']],
  ['limitedGuest', ['pull']],
];

const postgres = usePostgres();

describe.each(STORES)('permissions through the %s store', (kind) => {
  let t: TestApp;
  const access = async (authorization: string | undefined, scope: string | string[]) =>
    granted(await realmGet(t.app, { scope, service: 'registry' }, authorization)).access;

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres);
    const { admin } = t.app.services;
    await admin.createProject('acme', false);
    for (const [role] of ROLE_ACTIONS) {
      await admin.createUser(`u-${role}`, new Secret(PASSWORD), false);
      await admin.setMember('acme', { kind: 'user', name: `u-${role}` }, role);
    }
    await admin.createUser('outsider', new Secret(PASSWORD), false);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(ROLE_ACTIONS)('role %s grants %j on the project, nothing elsewhere private', async (role, actions) => {
    const got = await access(basic(`u-${role}`, PASSWORD), ['repository:acme/app:pull,push,delete', 'repository:acme/deep/nested:pull']);
    expect(got).toEqual([
      { type: 'repository', name: 'acme/app', actions },
      { type: 'repository', name: 'acme/deep/nested', actions: ['pull'] },
    ]);
  });

  it('"*" is granted only to roles holding every action', async () => {
    expect(await access(basic('u-maintainer', PASSWORD), 'repository:acme/app:*')).toEqual([{ type: 'repository', name: 'acme/app', actions: ['*'] }]);
    expect(await access(basic('u-developer', PASSWORD), 'repository:acme/app:*')).toEqual([]);
  });

  it('a non-member gets nothing on a private project', async () => {
    expect(await access(basic('outsider', PASSWORD), 'repository:acme/app:pull')).toEqual([]);
  });

  it('a system admin gets every action and the catalog; nobody else gets the catalog', async () => {
    expect(await access(ADMIN_AUTH, ['repository:acme/app:pull,push,delete', 'registry:catalog:*'])).toEqual([
      { type: 'repository', name: 'acme/app', actions: ['pull', 'push', 'delete'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect(await access(basic('u-admin', PASSWORD), 'registry:catalog:*')).toEqual([]);
  });

  it('nobody may push to a project that does not exist, not even a system admin', async () => {
    expect(await access(ADMIN_AUTH, 'repository:ghost/app:pull,push')).toEqual([]);
    expect(await access(basic('u-admin', PASSWORD), 'repository:ghost/app:push')).toEqual([]);
  });

  it('unknown resource types and actions grant nothing', async () => {
    expect(await access(ADMIN_AUTH, ['repository(plugin):acme/app:pull', 'widget:acme/app:pull', 'repository:acme/app:fly'])).toEqual([
      { type: 'repository', name: 'acme/app', actions: ['pull'] },
    ]);
  });

  it('making a project public through the API takes effect on the next token, and back', async () => {
    const setPublic = (value: boolean) =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/v1/projects/acme',
        headers: { authorization: ADMIN_AUTH },
        payload: { public: value },
      });
    expect(await access(undefined, 'repository:acme/app:pull')).toEqual([]);
    expect((await setPublic(true)).statusCode).toBe(200);
    expect(await access(undefined, 'repository:acme/app:pull,push')).toEqual([{ type: 'repository', name: 'acme/app', actions: ['pull'] }]);
    expect(await access(basic('outsider', PASSWORD), 'repository:acme/app:pull,push')).toEqual([{ type: 'repository', name: 'acme/app', actions: ['pull'] }]);
    expect((await setPublic(false)).statusCode).toBe(200);
    expect(await access(undefined, 'repository:acme/app:pull')).toEqual([]);
  });

  it('removing a member takes effect on the next token', async () => {
    const { admin } = t.app.services;
    await admin.createUser('leaver', new Secret(PASSWORD), false);
    await admin.setMember('acme', { kind: 'user', name: 'leaver' }, 'guest');
    expect(await access(basic('leaver', PASSWORD), 'repository:acme/app:pull')).toEqual([{ type: 'repository', name: 'acme/app', actions: ['pull'] }]);
    await admin.removeMember('acme', { kind: 'user', name: 'leaver' });
    expect(await access(basic('leaver', PASSWORD), 'repository:acme/app:pull')).toEqual([]);
  });
});
