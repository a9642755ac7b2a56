import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../../src/domain/authn.js';
import { Secret } from '../../src/domain/secret.js';
import { LDAP_USERS } from '../fixtures/ldap/index.js';
import { ADMIN, ADMIN_AUTH, basic, buildTestApp, decodeJwt, type TestApp } from '../helpers/app.js';
import { bindModeConfig, ldapAuthenticator, searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';

const { alice, bob } = LDAP_USERS;

function token(t: TestApp, user: string, password: string) {
  return t.app.inject({ url: `/token?service=registry&account=${encodeURIComponent(user)}`, headers: { authorization: basic(user, password) } });
}

const INJECTIONS = ['*)(uid=*', 'admin)(|(a=*', 'alice)(uid=*', '*', 'alice)', 'alice,ou=people', 'uid=alice,ou=people,dc=example,dc=org', 'alice\u0000'];

let slapd: Slapd;
beforeAll(async () => {
  slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.close();
});

describe('LDAP search-then-bind, with local users side by side', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ auth: { backends: ['local', 'ldap'] }, ldap: searchModeConfig(slapd, { cacheTtlSeconds: 0 }) });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: ADMIN_AUTH },
      payload: { username: 'lena', password: 'lena-local-pass' },
    });
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs a directory user in and records them in the store without a password', async () => {
    const res = await token(t, 'alice', alice.password);
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json().token).claims.sub).toBe('alice');
    const row = await t.app.services.store.users.find('alice');
    expect(row).toMatchObject({ source: 'ldap', passwordHash: null, admin: false, disabled: false });
  });

  it('keeps the directory spelling of the name, so one person is one row', async () => {
    const res = await token(t, 'ALICE', alice.password);
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json().token).claims.sub).toBe('alice');
    expect(await t.app.services.store.users.find('ALICE')).toBeNull();
  });

  it('answers 401 for a wrong password and for a user nobody knows', async () => {
    expect((await token(t, 'alice', 'wrong-password')).statusCode).toBe(401);
    expect((await token(t, 'nobody', 'whatever-1')).statusCode).toBe(401);
  });

  it.each(INJECTIONS)('finds nothing for the crafted username %j, even with a real password', async (name) => {
    const res = await token(t, name, alice.password);
    expect(res.statusCode).toBe(401);
    expect(res.json().errors[0].code).toBe('UNAUTHORIZED');
  });

  it('refuses an empty password without any bind reaching the directory', async () => {
    const before = await slapd.monitor('cn=Bind,cn=Operations', 'monitorOpInitiated');
    expect((await token(t, 'alice', '')).statusCode).toBe(401);
    // The monitor query itself is one bind.
    expect(await slapd.monitor('cn=Bind,cn=Operations', 'monitorOpInitiated')).toBe(before + 1);
  });

  it('lets local users and the local admin in next to directory users', async () => {
    expect((await token(t, 'lena', 'lena-local-pass')).statusCode).toBe(200);
    expect((await token(t, ADMIN.username, ADMIN.password)).statusCode).toBe(200);
    expect((await token(t, 'bob', bob.password)).statusCode).toBe(200);
  });

  it('refuses a directory user whose row an admin disabled', async () => {
    await t.app.inject({ method: 'PATCH', url: '/api/v1/users/bob', headers: { authorization: ADMIN_AUTH }, payload: { disabled: true } });
    expect((await token(t, 'bob', bob.password)).statusCode).toBe(401);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/users/bob', headers: { authorization: ADMIN_AUTH }, payload: { disabled: false } });
    expect((await token(t, 'bob', bob.password)).statusCode).toBe(200);
  });
});

describe('LDAP first in the chain', () => {
  let t: TestApp;
  const calls: string[] = [];
  // A local backend that would let anyone in: any call to it for a directory user is a fall-through.
  const permissive: Authenticator = {
    name: 'local',
    authenticate: async (username) => {
      calls.push(username);
      return { kind: 'ok', identity: { username, userId: 1, admin: false, groups: [], source: 'local' } };
    },
  };
  beforeAll(async () => {
    t = await buildTestApp({ auth: { backends: ['ldap', 'local'] }, ldap: searchModeConfig(slapd) }, { authenticators: { local: () => permissive } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("ends with 401 on a directory user's wrong password, never asking the next backend", async () => {
    expect((await token(t, 'alice', 'wrong-password')).statusCode).toBe(401);
    expect(calls).toEqual([]);
  });

  it('passes users the directory does not know, and local accounts such as the first admin, to the next backend', async () => {
    expect((await token(t, 'nobody', 'whatever-1')).statusCode).toBe(200);
    expect((await token(t, ADMIN.username, 'any-password')).statusCode).toBe(200);
    expect(calls).toEqual(['nobody', ADMIN.username]);
  });

  it('refuses an empty password itself, before any connection', async () => {
    let connections = 0;
    const ldap = ldapAuthenticator(searchModeConfig(slapd), t.app.services.store.users, () => {
      connections += 1;
      throw new Error('no');
    });
    expect(await ldap.authenticate('alice', new Secret(''))).toEqual({ kind: 'denied' });
    expect(connections).toBe(0);
    await ldap.close();
  });
});

describe('LDAP bind with a DN template', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ auth: { backends: ['local', 'ldap'] }, ldap: bindModeConfig(slapd) });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs in with the right password and refuses a wrong one', async () => {
    expect((await token(t, 'alice', alice.password)).statusCode).toBe(200);
    expect((await token(t, 'bob', 'wrong-password')).statusCode).toBe(401);
  });

  it.each(INJECTIONS)('escapes the crafted username %j into the DN and refuses it', async (name) => {
    expect((await token(t, name, alice.password)).statusCode).toBe(401);
  });
});
