import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { errorCode } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const postgres = usePostgres();
const robot = (name: string) => `/robots/${encodeURIComponent(name)}`;

describe.each(STORES)('project-admin delegation on the %s store', (kind) => {
  let t: TestApp;
  const carol = basic('carol', 'carol-password-1');
  const dave = basic('dave', 'dave-password-1');
  const call = (method: Method, url: string, authorization: string, payload?: object): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization }, ...(payload ? { payload } : {}) });
  const status = async (method: Method, url: string, authorization: string, payload?: object) => (await call(method, url, authorization, payload)).statusCode;
  const denied = async (method: Method, url: string, authorization: string, payload?: object) =>
    expect(errorCode(await call(method, url, authorization, payload), 403), `${method} ${url}`).toBe('DENIED');

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres);
    for (const [username, password] of [
      ['carol', 'carol-password-1'],
      ['dave', 'dave-password-1'],
    ])
      expect(await status('POST', '/users', ADMIN_AUTH, { username, password })).toBe(201);
    for (const name of ['team', 'other']) expect(await status('POST', '/projects', ADMIN_AUTH, { name })).toBe(201);
    expect(await status('PUT', '/projects/team/members/carol', ADMIN_AUTH, { role: 'admin' })).toBe(200);
    expect(await status('PUT', '/projects/team/members/dave', ADMIN_AUTH, { role: 'developer' })).toBe(200);
    expect(await status('POST', '/robots', ADMIN_AUTH, { name: 'theirs', project: 'other', permissions: [{ project: 'other', actions: ['pull'] }] })).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it("lets a project admin manage that project's members, and no other project's", async () => {
    expect((await call('GET', '/projects/team/members', carol)).json()).toEqual(expect.arrayContaining([{ kind: 'user', name: 'dave', role: 'developer' }]));
    expect(await status('PUT', '/projects/team/members/dave', carol, { role: 'maintainer' })).toBe(200);
    expect(await status('PUT', '/projects/team/members/group:ops', carol, { role: 'guest' })).toBe(200);
    expect(await status('DELETE', '/projects/team/members/group:ops', carol)).toBe(204);
    await denied('GET', '/projects/other/members', carol);
    await denied('PUT', '/projects/other/members/carol', carol, { role: 'admin' });
    await denied('DELETE', '/projects/other/members/dave', carol);
    // A project that does not exist is not theirs either: no probing for names.
    await denied('GET', '/projects/nope/members', carol);
    expect(await status('PUT', '/projects/team/members/dave', ADMIN_AUTH, { role: 'developer' })).toBe(200);
  });

  it("lets a project admin manage that project's robots, never a system robot or another project's", async () => {
    const created = await call('POST', '/robots', carol, { name: 'ci', project: 'team', permissions: [{ project: 'team', actions: ['pull', 'push'] }] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'robot$team+ci' });
    expect((await call('GET', '/robots?project=team', carol)).json()).toEqual([expect.objectContaining({ name: 'robot$team+ci' })]);
    expect(await status('GET', robot('robot$team+ci'), carol)).toBe(200);
    expect(await status('PATCH', robot('robot$team+ci'), carol, { disabled: true })).toBe(200);
    expect(await status('POST', `${robot('robot$team+ci')}/refresh`, carol, {})).toBe(200);
    expect(await status('DELETE', robot('robot$team+ci'), carol)).toBe(204);

    await denied('POST', '/robots', carol, { name: 'ci', project: 'other', permissions: [{ project: 'other', actions: ['pull'] }] });
    await denied('POST', '/robots', carol, { name: 'sys', permissions: [{ project: 'team', actions: ['pull'] }] });
    await denied('GET', '/robots', carol);
    await denied('GET', '/robots?project=other', carol);
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { disabled: true }],
      ['POST', '/refresh', {}],
      ['DELETE', '', undefined],
    ] as const)
      await denied(method, `${robot('robot$other+theirs')}${suffix}`, carol, body);
  });

  it('keeps projects, users and every other admin route for system admins', async () => {
    await denied('POST', '/projects', carol, { name: 'mine' });
    await denied('PATCH', '/projects/team', carol, { public: true });
    await denied('DELETE', '/projects/team', carol);
    await denied('POST', '/users', carol, { username: 'eve', password: 'eve-password-1' });
    await denied('PATCH', '/users/dave', carol, { disabled: true });
  });

  it('refuses members who are not admins, and a demoted admin at once', async () => {
    await denied('GET', '/projects/team/members', dave);
    await denied('PUT', '/projects/team/members/dave', dave, { role: 'admin' });
    await denied('POST', '/robots', dave, { name: 'x', project: 'team', permissions: [{ project: 'team', actions: ['pull'] }] });
    expect(await status('PUT', '/projects/team/members/carol', ADMIN_AUTH, { role: 'maintainer' })).toBe(200);
    await denied('GET', '/projects/team/members', carol);
    expect(await status('PUT', '/projects/team/members/carol', ADMIN_AUTH, { role: 'admin' })).toBe(200);
    expect(await status('GET', '/projects/team/members', carol)).toBe(200);
  });
});
