import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LDAP_USERS } from '../fixtures/ldap/index.js';
import { ADMIN, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { LdapSwitch, ldapAuthenticator, searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';

const { alice } = LDAP_USERS;

let slapd: Slapd;
let t: TestApp;
const ldap = new LdapSwitch();
const ldapConfig = (extra: Record<string, unknown>) => searchModeConfig(slapd, { cacheTtlSeconds: 0, ...extra });

beforeAll(async () => {
  slapd = await startSlapd();
  t = await buildTestApp({ auth: { backends: ['local', 'ldap'] }, ldap: searchModeConfig(slapd) }, { authenticators: { ldap: () => ldap } });
});
afterAll(async () => {
  await ldap.close();
  await t?.close();
  await slapd?.close();
});

/** Status of one token request for alice (directory) and one for the local admin. */
async function statuses(extra: Record<string, unknown>): Promise<{ alice: number; admin: number }> {
  await ldap.use(ldapConfig(extra), t.app.services.store.users);
  const ask = async (user: string, password: string) =>
    (await t.app.inject({ url: '/token?service=registry', headers: { authorization: basic(user, password) } })).statusCode;
  return { alice: await ask('alice', alice.password), admin: await ask(ADMIN.username, ADMIN.password) };
}

describe('LDAP over TLS', () => {
  it('uses StartTLS on ldap:// with the configured CA', async () => {
    expect(await statuses({ startTls: true, caFile: slapd.caFile })).toEqual({ alice: 200, admin: 200 });
  });

  it('refuses a StartTLS server it cannot verify (503 for directory users, local users unaffected)', async () => {
    expect(await statuses({ startTls: true })).toEqual({ alice: 503, admin: 200 });
  });

  it('talks to an unverifiable server only when tlsVerify is turned off', async () => {
    expect(await statuses({ startTls: true, tlsVerify: false })).toEqual({ alice: 200, admin: 200 });
  });

  it('uses ldaps:// with the configured CA, and refuses it without', async () => {
    expect(await statuses({ urls: [slapd.ldapsUrl], caFile: slapd.caFile })).toEqual({ alice: 200, admin: 200 });
    expect(await statuses({ urls: [slapd.ldapsUrl] })).toEqual({ alice: 503, admin: 200 });
  });

  it('fails at start when the CA file cannot be read, naming the option', () => {
    const users = t.app.services.store.users;
    expect(() => ldapAuthenticator(ldapConfig({ caFile: '/nonexistent/ca.pem' }), users)).toThrow(/ldap\.caFile/);
  });
});
