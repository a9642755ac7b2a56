/**
 * /api/v1/me: what any authenticated user may see and change of their own account, on both
 * stores. Directory users come from a real LdapAuthenticator over an in-memory Directory, so
 * the refusal to change their password here is reached through HTTP without a slapd.
 */
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapAuthenticator } from '../../src/auth/ldap.js';
import type { Directory, DirectoryLogin } from '../../src/domain/authn.js';
import { Secret } from '../../src/domain/secret.js';
import { ADMIN, ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const PASSWORD = 'sam-password-1';
const postgres = usePostgres();

/** Two directory users; `dina` is in the admin group. */
const DIRECTORY: Record<string, { password: string; groups: string[] }> = {
  lou: { password: 'lou-directory-pass', groups: ['devs'] },
  dina: { password: 'dina-directory-pass', groups: ['registry-admins'] },
};
const directory: Directory = {
  login: async (username, password): Promise<DirectoryLogin> => {
    const entry = DIRECTORY[username];
    if (!entry) return { kind: 'unknown' };
    return entry.password === password.reveal() ? { kind: 'ok', user: { username, groups: entry.groups } } : { kind: 'denied' };
  },
  lookUp: async (username) => {
    const entry = DIRECTORY[username];
    return entry ? { username, groups: entry.groups } : null;
  },
  close: async () => undefined,
};

describe.each(STORES)('self-service on the %s store', (kind) => {
  let t: TestApp;
  /** Every route under /api/v1, with the access it declares. */
  const routes: { method: string; url: string; access: unknown }[] = [];
  /** Each test calls from an address of its own, so throttling in one never reaches another. */
  let address = 0;
  const from = () => `10.9.0.${++address}`;
  const call = (method: Method, url: string, authorization: string | undefined, payload?: object, remoteAddress = '10.9.1.1') =>
    t.app.inject({ method, url: `/api/v1${url}`, remoteAddress, headers: authorization ? { authorization } : {}, ...(payload ? { payload } : {}) });
  const changePassword = (user: string, current: string, body: object, remoteAddress?: string) =>
    call('PUT', '/me/password', basic(user, current), body, remoteAddress);
  const login = (user: string, password: string) => realmGet(t.app, { service: 'registry' }, basic(user, password));
  const createUser = (name: string, password = PASSWORD, admin = false) => t.app.services.admin.createUser(name, new Secret(password), admin);

  beforeAll(async () => {
    const onRoute = (route: RouteOptions) => {
      if (!route.url.startsWith('/api/v1')) return;
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access: route.config?.access });
    };
    t = await buildStoreApp(
      kind,
      postgres,
      {
        identityTokens: { enabled: true },
        throttle: { addressUserFailures: 2, addressFailures: 50, baseSeconds: 30 },
        auth: { backends: ['local', 'ldap'] },
        ldap: { urls: ['ldap://127.0.0.1:1'], bindDnTemplate: 'uid={username},ou=people,dc=example,dc=org', adminGroups: ['registry-admins'] },
      },
      {
        onRoute,
        authenticators: {
          ldap: (store) =>
            new LdapAuthenticator(directory, store.users, { adminGroups: ['registry-admins'], requestTimeoutMs: 5000, cacheTtlSeconds: 0, cacheSize: 10 }),
        },
      },
    );
    await createUser('sam');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('GET /me', () => {
    it('shows a user who is not an admin their own account, and nothing secret', async () => {
      const res = await call('GET', '/me', basic('sam', PASSWORD));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        username: 'sam',
        admin: false,
        disabled: false,
        source: 'local',
        groups: [],
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        updatedAt: expect.any(String),
      });
      expect(res.body).not.toMatch(/password|\$2[aby]\$/);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('shows an admin as admin', async () => {
      expect((await call('GET', '/me', ADMIN_AUTH)).json()).toMatchObject({ username: ADMIN.username, admin: true, source: 'local' });
    });

    it('shows a directory user their source, their groups, and the admin a directory group gives', async () => {
      expect((await call('GET', '/me', basic('lou', 'lou-directory-pass'))).json()).toMatchObject({
        username: 'lou',
        admin: false,
        source: 'ldap',
        groups: ['devs'],
      });
      expect((await call('GET', '/me', basic('dina', 'dina-directory-pass'))).json()).toMatchObject({ username: 'dina', admin: true, source: 'ldap' });
    });

    it('answers 401 to no credentials, wrong ones and a disabled user', async () => {
      const anonymous = await call('GET', '/me', undefined);
      expect(errorCode(anonymous, 401)).toBe('UNAUTHORIZED');
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/);
      expect(errorCode(await call('GET', '/me', basic('sam', 'wrong-password'), undefined, from()), 401)).toBe('UNAUTHORIZED');
      expect(errorCode(await call('GET', '/me', basic('ghost', PASSWORD), undefined, from()), 401)).toBe('UNAUTHORIZED');
      await createUser('dora');
      await t.app.services.admin.updateUser('dora', { disabled: true });
      expect(errorCode(await call('GET', '/me', basic('dora', PASSWORD)), 401)).toBe('UNAUTHORIZED');
    });
  });

  describe('who may call what', () => {
    it('declares access on /me routes, project-delegated routes, the audit and the document only; every other route is admin-only', () => {
      const open = routes.filter((r) => r.access !== undefined).map((r) => `${r.method} ${r.url} ${r.access}`);
      expect(open.sort()).toEqual([
        'DELETE /api/v1/me/tokens/:id user',
        'DELETE /api/v1/projects/:name/members/:principal user',
        'DELETE /api/v1/robots/:name user',
        'GET /api/v1/audit user',
        'GET /api/v1/me user',
        'GET /api/v1/me/tokens user',
        'GET /api/v1/openapi.json public',
        'GET /api/v1/projects/:name/members user',
        'GET /api/v1/robots user',
        'GET /api/v1/robots/:name user',
        'PATCH /api/v1/robots/:name user',
        'POST /api/v1/me/tokens user',
        'POST /api/v1/robots user',
        'POST /api/v1/robots/:name/refresh user',
        'PUT /api/v1/me/password user',
        'PUT /api/v1/projects/:name/members/:principal user',
      ]);
    });

    it('refuses a user who is not an admin on every admin route with 403, before the body is read', async () => {
      const admins = routes.filter((r) => r.access === undefined);
      expect(admins.length).toBeGreaterThanOrEqual(12);
      for (const { method, url } of admins) {
        // An empty body would fail validation: 403 shows the role was checked first.
        const res = await call(
          method as Method,
          url.replace('/api/v1', '').replace(/:\w+/g, 'sam'),
          basic('sam', PASSWORD),
          method === 'GET' || method === 'DELETE' ? undefined : {},
        );
        expect(errorCode(res, 403), `${method} ${url}`).toBe('DENIED');
      }
      // Above all, not their own admin flag.
      expect(errorCode(await call('PATCH', '/users/sam', basic('sam', PASSWORD), { admin: true }), 403)).toBe('DENIED');
      expect((await t.app.services.store.users.find('sam'))?.admin).toBe(false);
    });

    it('answers an anonymous PUT /me/password {} with 401, not with the schema', async () => {
      const res = await call('PUT', '/me/password', undefined, {});
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
      expect(res.body).not.toMatch(/oldPassword|newPassword|required/);
    });

    it('refuses a form-encoded body with 415, after the credentials', async () => {
      const form = (authorization?: string) =>
        t.app.inject({
          method: 'PUT',
          url: '/api/v1/me/password',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
          payload: `oldPassword=${PASSWORD}&newPassword=form-password-1`,
        });
      expect(errorCode(await form(), 401)).toBe('UNAUTHORIZED');
      expect(errorCode(await form(basic('sam', PASSWORD)), 415)).toBe('UNSUPPORTED_MEDIA_TYPE');
      granted(await login('sam', PASSWORD));
    });
  });

  describe('PUT /me/password', () => {
    it('changes the password of a user who is not an admin and revokes their identity tokens', async () => {
      await createUser('pia', 'pia-password-1');
      const docker = granted(await realmGet(t.app, { service: 'registry', offline_token: 'true', client_id: 'docker' }, basic('pia', 'pia-password-1')));
      const refresh = () => realmPost(t.app, { grant_type: 'refresh_token', refresh_token: docker.body.refresh_token as string, service: 'registry' });
      granted(await refresh());

      const res = await changePassword('pia', 'pia-password-1', { oldPassword: 'pia-password-1', newPassword: 'pia-password-2' });
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe('');

      expect(errorCode(await login('pia', 'pia-password-1'), 401)).toBe('UNAUTHORIZED');
      expect(granted(await login('pia', 'pia-password-2')).claims.sub).toBe('pia');
      expect(errorCode(await refresh(), 401)).toBe('INVALID_GRANT');
      expect((await call('GET', '/me', basic('pia', 'pia-password-2'))).statusCode).toBe(200);
    });

    it('lets an admin change their own password the same way', async () => {
      await createUser('ada', 'ada-password-1', true);
      expect((await changePassword('ada', 'ada-password-1', { oldPassword: 'ada-password-1', newPassword: 'ada-password-2' })).statusCode).toBe(204);
      expect((await call('GET', '/users', basic('ada', 'ada-password-2'))).statusCode).toBe(200);
    });

    it('requires the old password (400 without it) and refuses a wrong one with 403', async () => {
      const ip = from();
      for (const body of [
        { newPassword: 'sam-password-2' },
        { oldPassword: PASSWORD },
        { oldPassword: PASSWORD, newPassword: 'sam-password-2', admin: true },
        {},
      ]) {
        expect(errorCode(await changePassword('sam', PASSWORD, body, ip), 400), JSON.stringify(body)).toBe('INVALID_REQUEST');
      }
      const wrong = await changePassword('sam', PASSWORD, { oldPassword: 'not-the-password', newPassword: 'sam-password-2' }, ip);
      expect(errorCode(wrong, 403)).toBe('DENIED');
      expect(wrong.json().errors[0].message).toMatch(/oldPassword/);
      granted(await login('sam', PASSWORD));
      expect(errorCode(await login('sam', 'sam-password-2'), 401)).toBe('UNAUTHORIZED');
    });

    it("refuses another user's password as the old one", async () => {
      await createUser('max', 'max-password-1');
      expect(errorCode(await changePassword('max', 'max-password-1', { oldPassword: PASSWORD, newPassword: 'max-password-2' }, from()), 403)).toBe('DENIED');
      granted(await login('max', 'max-password-1'));
    });

    it.each([
      ['shorter than 8 characters', 'short'],
      ['over 72 bytes in UTF-8', 'é'.repeat(37)],
      ['holding a lone surrogate', 'abcdefgh\ud800'],
      ['the old one again', PASSWORD],
    ])('refuses a new password %s with 400, and keeps the old one', async (_what, newPassword) => {
      expect(errorCode(await changePassword('sam', PASSWORD, { oldPassword: PASSWORD, newPassword }, from()), 400)).toBe('INVALID_REQUEST');
      granted(await login('sam', PASSWORD));
    });

    it('throttles guesses of the old password like failed logins (429 with Retry-After)', async () => {
      const ip = from();
      const guess = (n: number) => changePassword('sam', PASSWORD, { oldPassword: `guess-number-${n}`, newPassword: 'sam-password-2' }, ip);
      // addressUserFailures: 2; after the second failure the address waits.
      for (const n of [1, 2]) expect(errorCode(await guess(n), 403)).toBe('DENIED');
      const throttled = await guess(3);
      expect(errorCode(throttled, 429)).toBe('TOOMANYREQUESTS');
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(20);
      // The same address's logins wait too; elsewhere the owner is not locked out.
      expect(errorCode(await call('GET', '/me', basic('sam', 'one-more-guess'), undefined, ip), 429)).toBe('TOOMANYREQUESTS');
      granted(await login('sam', PASSWORD));
    });

    it('refuses a directory user with 409: their password is kept by the directory', async () => {
      const res = await changePassword('lou', 'lou-directory-pass', { oldPassword: 'lou-directory-pass', newPassword: 'lou-new-password' });
      expect(errorCode(res, 409)).toBe('CONFLICT');
      expect(res.json().errors[0].message).toMatch(/directory/);
      expect(await t.app.services.store.users.find('lou')).toMatchObject({ source: 'ldap', passwordHash: null });
      expect(errorCode(await login('lou', 'lou-new-password'), 401)).toBe('UNAUTHORIZED');
      granted(await login('lou', 'lou-directory-pass'));
    });
  });
});

/** What the route layer cannot reach: the rules of SelfService called directly. */
describe('SelfService', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildStoreApp('embedded', postgres);
    await t.app.services.admin.createUser('vic', new Secret(PASSWORD), false);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a caller whose identity came from the directory, before any password check', async () => {
    const { self, store } = t.app.services;
    const row = await store.users.create({ username: 'dir-user', passwordHash: null, source: 'ldap', admin: false });
    const caller = { username: row.username, userId: row.id, admin: false, groups: [], source: 'ldap' as const };
    await expect(self.changePassword(caller, '10.9.2.1', new Secret('anything-1'), new Secret('anything-2'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await self.whoami(caller)).user).toMatchObject({ username: 'dir-user', source: 'ldap' });
  });

  it('answers NOT_FOUND for a caller deleted since they logged in', async () => {
    const { self, admin, store } = t.app.services;
    const vic = await store.users.find('vic');
    const caller = { username: 'vic', userId: vic?.id ?? 0, admin: false, groups: [], source: 'local' as const };
    await admin.deleteUser('vic');
    await expect(self.whoami(caller)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
