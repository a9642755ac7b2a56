import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { LDAP_GROUPS, LDAP_GROUPS_DN, LDAP_USERS, type LdapUserName } from '../fixtures/ldap/index.js';
import { ADMIN_AUTH, basic, buildTestApp, decodeJwt, type TestApp } from '../helpers/app.js';
import { bindModeConfig, LdapSwitch, searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';

/** The access a directory user is granted for one scope. */
async function granted(t: TestApp, user: LdapUserName, scope: string): Promise<unknown> {
  const res = await t.app.inject({
    url: `/token?service=registry&scope=${encodeURIComponent(scope)}`,
    headers: { authorization: basic(user, LDAP_USERS[user].password) },
  });
  expect(res.statusCode).toBe(200);
  return decodeJwt(res.json().token).claims.access;
}

const repo = (name: string, actions: string[]) => [{ type: 'repository', name, actions }];

/** Logs in for an identity token, then spends it on one scope; resolves to the access granted. */
async function grantedByIdentityToken(t: TestApp, user: LdapUserName, scope: string, beforeUse = async () => {}): Promise<unknown> {
  const login = await t.app.inject({
    url: '/token?service=registry&offline_token=true&client_id=docker',
    headers: { authorization: basic(user, LDAP_USERS[user].password) },
  });
  const refreshToken = login.json().refresh_token as string;
  expect(refreshToken).toBeTruthy();
  await beforeUse();
  const res = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, service: 'registry', client_id: 'docker', scope }).toString(),
  });
  expect(res.statusCode).toBe(200);
  return decodeJwt(res.json().access_token).claims.access;
}

async function project(t: TestApp, name: string, members: Record<string, string>): Promise<void> {
  expect((await t.app.inject({ method: 'POST', url: '/api/v1/projects', headers: { authorization: ADMIN_AUTH }, payload: { name } })).statusCode).toBe(201);
  for (const [principal, role] of Object.entries(members)) {
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/projects/${name}/members/${principal}`,
      headers: { authorization: ADMIN_AUTH },
      payload: { role },
    });
    expect(res.statusCode).toBe(200);
  }
}

let slapd: Slapd;
beforeAll(async () => {
  slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.close();
});

describe('groups from memberOf, one level of nesting, admin groups', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      auth: { backends: ['local', 'ldap'] },
      identityTokens: { enabled: true },
      ldap: searchModeConfig(slapd, { groups: { source: 'memberOf', nestedDepth: 1 }, adminGroups: ['Registry-Admins'] }),
    });
    await project(t, 'team', { 'group:developers': 'developer' });
    await project(t, 'eng', { 'group:Engineering': 'guest' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets a member of a group that is a project member push; an outsider gets nothing', async () => {
    expect(await granted(t, 'alice', 'repository:team/app:pull,push')).toEqual(repo('team/app', ['pull', 'push']));
    expect(await granted(t, 'bob', 'repository:team/app:pull,push')).toEqual([]);
  });

  it('follows nesting to the configured depth and no further', async () => {
    // erin -> backend -> developers (depth 1) -> engineering (depth 2)
    expect(await granted(t, 'erin', 'repository:team/app:pull,push')).toEqual(repo('team/app', ['pull', 'push']));
    expect(await granted(t, 'erin', 'repository:eng/app:pull')).toEqual([]);
    // alice -> developers -> engineering (depth 1); group names compare case-blind
    expect(await granted(t, 'alice', 'repository:eng/app:pull')).toEqual(repo('eng/app', ['pull']));
  });

  it('makes members of ldap.adminGroups system admins: catalog and admin API', async () => {
    expect(await granted(t, 'carol', 'registry:catalog:*')).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    expect(await granted(t, 'alice', 'registry:catalog:*')).toEqual([]);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: basic('carol', LDAP_USERS.carol.password) } });
    expect(res.statusCode).toBe(200);
  });

  it('takes group members from the CLI: portcullis member set PROJECT group:NAME ROLE', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    await project(t, 'cli', {});
    const code = await run([
      'node',
      'portcullis',
      '--url',
      `http://127.0.0.1:${port}`,
      '--user',
      'carol',
      '--admin-password',
      LDAP_USERS.carol.password,
      'member',
      'set',
      'cli',
      'group:developers',
      'maintainer',
    ]);
    expect(code).toBe(0);
    expect(await granted(t, 'alice', 'repository:cli/app:delete')).toEqual(repo('cli/app', ['delete']));
  });

  it('re-reads groups from the directory when an identity token is used', async () => {
    const developers = (op: 'add' | 'delete') =>
      slapd.modify(`dn: ${LDAP_GROUPS.developers}\nchangetype: modify\n${op}: member\nmember: ${LDAP_USERS.bob.dn}\n`);
    try {
      const access = await grantedByIdentityToken(t, 'bob', 'repository:team/app:pull,push', () => developers('add'));
      expect(access).toEqual(repo('team/app', ['pull', 'push']));
    } finally {
      await developers('delete');
    }
  });
});

describe('groups in bind-template mode', () => {
  let t: TestApp;
  const ldap = new LdapSwitch();
  beforeAll(async () => {
    t = await buildTestApp(
      { auth: { backends: ['local', 'ldap'] }, identityTokens: { enabled: true }, ldap: bindModeConfig(slapd) },
      { authenticators: { ldap: () => ldap } },
    );
    await project(t, 'team', { 'group:developers': 'developer' });
  });
  afterAll(async () => {
    await ldap.close();
    await t?.close();
  });

  it('reads memberOf as the user; identity tokens then carry no directory groups (no service account)', async () => {
    await ldap.use(bindModeConfig(slapd), t.app.services.store.users);
    expect(await granted(t, 'alice', 'repository:team/app:pull,push')).toEqual(repo('team/app', ['pull', 'push']));
    expect(await grantedByIdentityToken(t, 'alice', 'repository:team/app:pull,push')).toEqual([]);
  });

  it('with a service account as well, binds by template and reads groups (also on refresh) as the service', async () => {
    const { search } = searchModeConfig(slapd);
    await ldap.use(bindModeConfig(slapd, { search }), t.app.services.store.users);
    expect(await granted(t, 'alice', 'repository:team/app:pull,push')).toEqual(repo('team/app', ['pull', 'push']));
    expect(await grantedByIdentityToken(t, 'alice', 'repository:team/app:pull,push')).toEqual(repo('team/app', ['pull', 'push']));
  });
});

describe('groups from a group search: groupOfNames, groupOfUniqueNames, posixGroup', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      auth: { backends: ['local', 'ldap'] },
      ldap: searchModeConfig(slapd, { groups: { source: 'search', baseDn: LDAP_GROUPS_DN, nestedDepth: 2 } }),
    });
    await project(t, 'ops', { 'group:ops': 'developer' });
    await project(t, 'qa', { 'group:qa': 'guest' });
    await project(t, 'eng', { 'group:engineering': 'guest' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finds memberUid (by name) and uniqueMember (by DN) groups', async () => {
    expect(await granted(t, 'dave', 'repository:ops/tool:pull,push')).toEqual(repo('ops/tool', ['pull', 'push']));
    expect(await granted(t, 'frank', 'repository:qa/tool:pull,push')).toEqual(repo('qa/tool', ['pull']));
    expect(await granted(t, 'frank', 'repository:ops/tool:pull')).toEqual([]);
  });

  it('follows nested groups by search, two levels deep', async () => {
    expect(await granted(t, 'erin', 'repository:eng/app:pull')).toEqual(repo('eng/app', ['pull']));
    expect(await granted(t, 'dave', 'repository:eng/app:pull')).toEqual([]);
  });
});
