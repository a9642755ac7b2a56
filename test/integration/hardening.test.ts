/**
 * What an attack on a running Portcullis found (issue 8), each on both stores: brute force,
 * the last-admin race, password bytes, the admin API's edges, identity-token floods, the
 * bootstrap password, /metrics, error shapes and look-alike usernames.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loggerOptions } from '../../src/routes/logging.js';
import { ADMIN, ADMIN_AUTH, basic, buildTestApp, testConfig, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();
const THROTTLE = { addressUserFailures: 2, addressFailures: 6, baseSeconds: 30, maxSeconds: 300 };

/** A token request for `user` from the client address `from` (what the socket would say). */
function tokenFrom(t: TestApp, from: string, user: string, password: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ url: '/token?service=registry', remoteAddress: from, headers: { authorization: basic(user, password) } });
}

async function adminCall(t: TestApp, method: 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object, auth = ADMIN_AUTH) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: auth }, ...(payload ? { payload } : {}) });
}

/** How many bcrypt checks /metrics has counted (cached hits excluded). */
async function bcryptChecks(t: TestApp): Promise<number> {
  const text = (await t.app.inject({ url: '/metrics' })).body;
  let n = 0;
  for (const m of text.matchAll(/^portcullis_password_checks_total\{result="(valid|invalid|no-user)"\} (\d+)/gm)) n += Number(m[2]);
  return n;
}

describe.each(STORES)('on the %s store', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres, { throttle: THROTTLE, identityTokens: { enabled: true, maxPerUser: 3, maxPerClient: 2 } });
    expect((await adminCall(t, 'POST', '/users', { username: 'alice', password: 'alice-password' })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('3. brute-force throttling', () => {
    it('backs off one address after its failures with 429, Retry-After and the registry shape, and never reaches bcrypt', async () => {
      for (let i = 0; i < 2; i++) expect(errorCode(await tokenFrom(t, '10.1.0.1', 'alice', 'wrong-password'), 401)).toBe('UNAUTHORIZED');
      const checks = await bcryptChecks(t);
      const throttled = await tokenFrom(t, '10.1.0.1', 'alice', 'wrong-password');
      expect(errorCode(throttled, 429)).toBe('TOOMANYREQUESTS');
      expect(throttled.json().errors[0].message).toMatch(/too many failed logins; try again in \d+ s/);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      // Even the right password waits out the back-off from that address.
      expect(errorCode(await tokenFrom(t, '10.1.0.1', 'alice', 'alice-password'), 429)).toBe('TOOMANYREQUESTS');
      expect(await bcryptChecks(t)).toBe(checks);
    });

    it("a correct password from another address is never refused because of someone else's failures", async () => {
      for (let i = 0; i < 6; i++) await tokenFrom(t, `10.2.0.${i}`, 'alice', 'wrong-password');
      granted(await tokenFrom(t, '192.0.2.50', 'alice', 'alice-password'));
    });

    it('the OAuth2 form and failed identity tokens count too', async () => {
      const form = (password: string) =>
        t.app.inject({
          method: 'POST',
          url: '/token',
          remoteAddress: '10.3.0.1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `grant_type=password&username=alice&password=${password}&service=registry`,
        });
      for (let i = 0; i < 2; i++) await form('wrong-password');
      expect(errorCode(await form('wrong-password'), 429)).toBe('TOOMANYREQUESTS');
      const refresh = () =>
        t.app.inject({
          method: 'POST',
          url: '/token',
          remoteAddress: '10.3.0.2',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `grant_type=refresh_token&refresh_token=pcr_guess${Math.random()}&service=registry`,
        });
      for (let i = 0; i < 6; i++) expect((await refresh()).statusCode).toBe(401);
      expect(errorCode(await refresh(), 429)).toBe('TOOMANYREQUESTS');
    });

    it('the admin API is throttled the same way', async () => {
      const call = () => t.app.inject({ url: '/api/v1/users', remoteAddress: '10.4.0.1', headers: { authorization: basic(ADMIN.username, 'wrong-password') } });
      for (let i = 0; i < 2; i++) expect((await call()).statusCode).toBe(401);
      expect(errorCode(await call(), 429)).toBe('TOOMANYREQUESTS');
    });

    it('X-Forwarded-For is ignored from a peer that is not a trusted proxy', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await t.app.inject({
          url: '/token?service=registry',
          remoteAddress: '10.5.0.1',
          headers: { authorization: basic('alice', 'wrong-password'), 'x-forwarded-for': `198.51.100.${i}` },
        });
        expect(res.statusCode).toBe(401);
      }
      expect(errorCode(await tokenFrom(t, '10.5.0.1', 'alice', 'wrong-password'), 429)).toBe('TOOMANYREQUESTS');
    });
  });

  describe('4. the last enabled admin', () => {
    it('survives "demote admin2" and "disable admin" sent together, every time', async () => {
      for (let round = 0; round < 3; round++) {
        const second = `admin${round}b`;
        expect((await adminCall(t, 'POST', '/users', { username: second, password: 'second-admin-password', admin: true })).statusCode).toBe(201);
        const secondAuth = basic(second, 'second-admin-password');
        const [demote, disable] = await Promise.all([
          adminCall(t, 'PATCH', `/users/${second}`, { admin: false }),
          adminCall(t, 'PATCH', `/users/${ADMIN.username}`, { disabled: true }, secondAuth),
        ]);
        const statuses = [demote.statusCode, disable.statusCode].sort();
        // Either both changes were possible one after the other (no: that leaves no admin), or one is refused.
        expect(statuses).toContain(409);
        const users = (await t.app.services.store.users.list()).filter((u) => u.admin && !u.disabled);
        expect(users.length).toBeGreaterThanOrEqual(1);
        // Put things back for the next round.
        await t.app.services.admin.updateUser(ADMIN.username, { disabled: false, admin: true });
        await t.app.services.admin.deleteUser(second);
      }
    });
  });

  describe('5. passwords are limited in bytes, as bcrypt reads them', () => {
    it('refuses a password over 72 UTF-8 bytes when it is set (50 × "é" is 100 bytes)', async () => {
      const res = await adminCall(t, 'POST', '/users', { username: 'eve', password: 'é'.repeat(50) });
      expect(errorCode(res, 400)).toBe('INVALID_REQUEST');
      expect(res.json().errors[0].message).toMatch(/72 bytes/);
      expect(errorCode(await adminCall(t, 'PATCH', '/users/alice', { password: 'é'.repeat(37) }), 400)).toBe('INVALID_REQUEST');
    });

    it('refuses a lone surrogate, which would collapse to U+FFFD and admit a second password', async () => {
      const res = await adminCall(t, 'POST', '/users', { username: 'mallory', password: 'abcdefgh\ud800' });
      expect(errorCode(res, 400)).toBe('INVALID_REQUEST');
    });

    it('a 72-byte password does not also accept itself plus anything, and a longer login is refused without bcrypt', async () => {
      const p72 = 'p'.repeat(72);
      expect((await adminCall(t, 'POST', '/users', { username: 'peggy', password: p72 })).statusCode).toBe(201);
      granted(await tokenFrom(t, '10.6.0.1', 'peggy', p72));
      const checks = await bcryptChecks(t);
      expect(errorCode(await tokenFrom(t, '10.6.0.1', 'peggy', `${p72}extra`), 401)).toBe('UNAUTHORIZED');
      expect(await bcryptChecks(t)).toBe(checks);
    });
  });

  describe('6 and 7. the admin API: credentials first, then JSON only, then the schema', () => {
    it('refuses a form-encoded body with 415, even from an admin', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { authorization: ADMIN_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=formuser&password=form-password-1',
      });
      expect(errorCode(res, 415)).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(await t.app.services.store.users.find('formuser')).toBeNull();
    });

    it('answers an anonymous POST /users {} with 401, saying nothing about the schema', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: {} });
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
      expect(res.body).not.toMatch(/username|password|required|schema/i);
      expect(
        errorCode(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: basic('alice', 'alice-password') }, payload: {} }), 403),
      ).toBe('DENIED');
    });
  });

  describe('8. identity tokens are bounded', () => {
    const login = async (clientId: string) =>
      granted(await realmGet(t.app, { client_id: clientId, offline_token: 'true', service: 'registry' }, basic('alice', 'alice-password'))).body
        .refresh_token as string;
    const works = async (token: string) =>
      (await realmPost(t.app, { grant_type: 'refresh_token', refresh_token: token, service: 'registry' }, {})).statusCode === 200;

    it('keeps at most maxPerClient per client and maxPerUser per user, revoking the oldest', async () => {
      const docker = [await login('docker'), await login('docker'), await login('docker')];
      expect(await Promise.all(docker.map(works))).toEqual([false, true, true]);
      const others = [await login('podman'), await login('skopeo')];
      // Five issued, three kept: the newest of all.
      expect(await Promise.all([...docker, ...others].map(works))).toEqual([false, false, true, true, true]);
    });
  });

  describe('10. /metrics', () => {
    it('is served to loopback and refused from elsewhere', async () => {
      expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
      expect(errorCode(await t.app.inject({ url: '/metrics', remoteAddress: '203.0.113.9' }), 403)).toBe('DENIED');
    });
  });

  describe('11. one error shape for everything', () => {
    it.each(['/token%zz', `/api/v1/projects/${'x'.repeat(200)}/members/${'y'.repeat(300)}`, '/%'])('%s', async (url) => {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json()).toEqual({ errors: [{ code: expect.any(String), message: expect.any(String) }] });
      expect(res.body).not.toMatch(/FST_|"error":/);
    });
  });

  describe('12. look-alike usernames', () => {
    it('refuses a name that differs from an existing one only in case', async () => {
      for (const name of ['ALICE', 'Alice', 'ADMIN']) {
        const res = await adminCall(t, 'POST', '/users', { username: name, password: 'lookalike-password' });
        expect(errorCode(res, 409)).toBe('CONFLICT');
      }
    });
  });
});

describe('throttle counters are shared by replicas on PostgreSQL', () => {
  it('failures through replica A throttle the same address on replica B', async () => {
    const url = await postgres().createDatabase();
    const a = await buildTestApp({ database: { url }, throttle: THROTTLE });
    const b = await buildTestApp({ database: { url }, throttle: THROTTLE });
    try {
      for (let i = 0; i < 2; i++) expect((await tokenFrom(a, '10.9.0.1', ADMIN.username, 'wrong-password')).statusCode).toBe(401);
      expect(errorCode(await tokenFrom(b, '10.9.0.1', ADMIN.username, 'wrong-password'), 429)).toBe('TOOMANYREQUESTS');
      granted(await tokenFrom(b, '10.9.0.2', ADMIN.username, ADMIN.password));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('X-Forwarded-For from a trusted proxy', () => {
  it('names the client, so two clients behind the proxy are throttled apart', async () => {
    const t = await buildTestApp({ throttle: THROTTLE, trustedProxies: ['10.10.0.0/16'] });
    try {
      const via = (client: string, password: string) =>
        t.app.inject({
          url: '/token?service=registry',
          remoteAddress: '10.10.0.1',
          headers: { authorization: basic(ADMIN.username, password), 'x-forwarded-for': client },
        });
      for (let i = 0; i < 2; i++) await via('198.51.100.1', 'wrong-password');
      expect(errorCode(await via('198.51.100.1', 'wrong-password'), 429)).toBe('TOOMANYREQUESTS');
      granted(await via('198.51.100.2', ADMIN.password));
    } finally {
      await t.close();
    }
  });
});

describe('9. the bootstrap admin password follows the password policy', () => {
  it('fails the first start with a message naming PORTCULLIS_ADMIN_PASSWORD', async () => {
    const url = await postgres().createDatabase();
    const config = testConfig({ database: { url }, admin: { password: 'x' } });
    await expect(buildApp(config, { logger: false })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('PORTCULLIS_ADMIN_PASSWORD'),
    });
  });
});

describe('12. look-alikes already stored', () => {
  it('are kept, and named in a warning at start', async () => {
    const url = await postgres().createDatabase();
    const first = await buildTestApp({ database: { url } });
    // Written straight into the store, as an older version could have.
    await first.app.services.store.users.create({ username: 'Admin', passwordHash: null, source: 'local', admin: false });
    await first.app.close();
    let log = '';
    const app = await buildApp(testConfig({ database: { url } }), {
      logger: {
        ...(loggerOptions('warn') as object),
        stream: {
          write: (line: string) => {
            log += line;
          },
        },
      },
    });
    try {
      expect(log).toMatch(/differ only in case/);
      expect(log).toContain('"Admin"');
      expect(await app.services.store.users.find('Admin')).not.toBeNull();
    } finally {
      await app.close();
    }
  });
});

describe('directory users have no local password', () => {
  it('the admin API refuses to set one, and a stored hash on a directory row is never accepted', async () => {
    const t = await buildTestApp();
    try {
      const row = await t.app.services.store.users.create({ username: 'dirk', passwordHash: null, source: 'ldap', admin: false });
      expect(errorCode(await adminCall(t, 'PATCH', '/users/dirk', { password: 'local-password-1' }), 409)).toBe('CONFLICT');
      // Even a hash written straight into the row does not make the local backend vouch for it.
      const hash = await t.app.services.store.users.find(ADMIN.username);
      await t.app.services.store.users.update(row.username, { passwordHash: hash?.passwordHash ?? '' });
      expect(errorCode(await tokenFrom(t, '10.20.0.1', 'dirk', ADMIN.password), 401)).toBe('UNAUTHORIZED');
    } finally {
      await t.close();
    }
  });
});
