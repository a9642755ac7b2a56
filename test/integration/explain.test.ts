/**
 * `explain` agrees with the realm on the whole permission matrix: every role, in public and
 * private projects, held directly, through a directory group, or not at all, plus system
 * admins, anonymous callers and a project that does not exist, for pull, push, delete and *.
 * For each cell the token's access, the explanation's grant, and the reasons the audit
 * recorded for what was not granted must all say the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapAuthenticator } from '../../src/auth/ldap.js';
import type { Directory, DirectoryLogin } from '../../src/domain/authn.js';
import { ROLES } from '../../src/domain/model.js';
import { ADMIN, ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { realmGet } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();
const PASSWORD = 'explain-password-1';
const GROUP = 'Devs';
const directory: Directory = {
  login: async (username, password): Promise<DirectoryLogin> =>
    username !== 'grouped' ? { kind: 'unknown' } : password.reveal() === PASSWORD ? { kind: 'ok', user: { username, groups: [GROUP] } } : { kind: 'denied' },
  lookUp: async (username) => (username === 'grouped' ? { username, groups: [GROUP] } : null),
  close: async () => undefined,
};

const PROJECTS = [...ROLES.flatMap((role) => [`pub-${role.toLowerCase()}`, `priv-${role.toLowerCase()}`]), 'nosuch'];
const ACCOUNTS = ['direct', 'grouped', 'stranger', ADMIN.username, null] as const;
const ACTIONS = ['pull', 'push', 'delete', '*'];

interface Explained {
  granted: string[];
  actions: { resource: string; action: string; granted: boolean; rule: string; explanation: string; role?: string; group?: string }[];
}

describe.each(STORES)('explain and the realm on the %s store', (kind) => {
  let t: TestApp;
  const admin = async (method: 'POST' | 'PUT', url: string, payload: object) => {
    const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: ADMIN_AUTH }, payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
  };

  beforeAll(async () => {
    t = await buildStoreApp(
      kind,
      postgres,
      {
        audit: { buffer: { flushEveryMs: 50 } },
        auth: { backends: ['local', 'ldap'] },
        ldap: { urls: ['ldap://127.0.0.1:1'], bindDnTemplate: 'uid={username},ou=people,dc=example,dc=org' },
      },
      {
        authenticators: {
          ldap: (store) => new LdapAuthenticator(directory, store.users, { adminGroups: [], requestTimeoutMs: 5000, cacheTtlSeconds: 0, cacheSize: 10 }),
        },
      },
    );
    for (const name of ['direct', 'stranger']) await admin('POST', '/users', { username: name, password: PASSWORD });
    for (const role of ROLES) {
      for (const visibility of ['pub', 'priv']) {
        const name = `${visibility}-${role.toLowerCase()}`;
        await admin('POST', '/projects', { name, public: visibility === 'pub' });
        await admin('PUT', `/projects/${name}/members/direct`, { role });
        await admin('PUT', `/projects/${name}/members/group:${GROUP.toLowerCase()}`, { role });
      }
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(ACCOUNTS)('account %s: the token, the explanation and the audit agree on every project and action', async (account) => {
    for (const project of PROJECTS) {
      const scope = `repository:${project}/app:${ACTIONS.join(',')}`;
      const auth = account === null ? undefined : basic(account, account === ADMIN.username ? ADMIN.password : PASSWORD);
      const res = await realmGet(t.app, { service: 'registry', scope }, auth);
      expect(res.statusCode, res.body).toBe(200);
      const claims = JSON.parse(Buffer.from(res.json<{ token: string }>().token.split('.')[1] ?? '', 'base64url').toString()) as {
        access: { type: string; name: string; actions: string[] }[];
        jti: string;
      };
      const tokenGrant = claims.access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`);

      const query = new URLSearchParams({ scope, ...(account === null ? {} : { account }) });
      const explained = await t.app.inject({ url: `/api/v1/explain?${query}`, headers: { authorization: ADMIN_AUTH } });
      expect(explained.statusCode, explained.body).toBe(200);
      const e = explained.json<Explained>();
      expect(e.granted, `${account} on ${project}`).toEqual(tokenGrant);
      expect(e.actions.map((a) => a.action)).toEqual(ACTIONS);

      await t.app.services.audit.flush();
      const [entry] = await t.app.services.audit.list({ kind: 'token', repository: `${project}/app` }, { all: true }, { order: 'desc', limit: 1 });
      expect(entry?.detail).toMatchObject({ jti: claims.jti });
      const deniedActions = (entry?.detail as { denied?: { action: string; reason: string }[] } | undefined)?.denied ?? [];
      const denied = deniedActions.map((d) => `${d.action}:${d.reason}`);
      expect(denied, `${account} on ${project}`).toEqual(e.actions.filter((a) => !a.granted).map((a) => `${a.action}:${a.rule}`));
    }
  });

  it.each<[string | null, string, string, string, string]>([
    ['direct', 'priv-developer', 'push', 'role', 'role developer in project priv-developer'],
    ['grouped', 'priv-developer', 'push', 'role', `role developer in project priv-developer via group ${GROUP}`],
    ['direct', 'priv-guest', 'push', 'role_lacks_push', 'role guest in project priv-guest does not allow push'],
    ['stranger', 'priv-admin', 'pull', 'not_a_member', 'not a member of project priv-admin'],
    ['stranger', 'pub-guest', 'pull', 'public_project', 'project pub-guest is public'],
    [null, 'priv-admin', 'pull', 'project_private', 'project priv-admin is private and the caller is anonymous'],
    [ADMIN.username, 'priv-guest', 'delete', 'system_admin', 'system admin'],
    [ADMIN.username, 'nosuch', 'pull', 'no_such_project', 'project nosuch does not exist'],
    ['direct', 'priv-developer', '*', 'not_every_action', '* needs pull, push and delete, and project priv-developer does not allow them all'],
  ])('%s on %s, %s: %s', async (account, project, action, rule, explanation) => {
    const query = new URLSearchParams({ scope: `repository:${project}/app:${action}`, ...(account === null ? {} : { account }) });
    const e = (await t.app.inject({ url: `/api/v1/explain?${query}`, headers: { authorization: ADMIN_AUTH } })).json<Explained>();
    expect(e.actions).toEqual([expect.objectContaining({ action, rule, explanation })]);
  });

  it('explains only to system admins, and names an account that does not exist as 404', async () => {
    const url = '/api/v1/explain?account=direct&scope=repository:pub-guest/app:pull';
    expect((await t.app.inject({ url, headers: { authorization: basic('direct', PASSWORD) } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: url.replace('direct', 'ghost'), headers: { authorization: ADMIN_AUTH } })).statusCode).toBe(404);
  });
});
