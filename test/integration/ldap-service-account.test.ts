import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/routes/logging.js';
import { LDAP_PEOPLE_DN, LDAP_SERVICE, LDAP_USERS } from '../fixtures/ldap/index.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/proc.js';
import { searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';
import { ADMIN, basic, buildTestApp, type TestApp } from '../helpers/app.js';

const { alice } = LDAP_USERS;
const WRONG = 'not-the-service-secret';

/** The service account's password in the directory, set as the directory's root. */
const setServicePassword = (slapd: Slapd, password: string) =>
  slapd.modify(`dn: ${LDAP_SERVICE.dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${password}\n`);

/** An app on this LDAP configuration, its log lines kept. */
async function appWithLog(ldap: Record<string, unknown>): Promise<{ t: TestApp; lines: () => { level: number; msg: string }[] }> {
  let log = '';
  const stream = { write: (line: string) => (log += line) };
  const t = await buildTestApp(
    { auth: { backends: ['local', 'ldap'] }, ldap },
    { logger: { ...(loggerOptions('info') as object), stream }, ldapRecheckEveryMs: 300 },
  );
  const lines = () =>
    log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string });
  return { t, lines };
}

const login = (t: TestApp, user: string, password: string) =>
  t.app.inject({ url: '/token?service=registry', headers: { authorization: basic(user, password) } });

describe('the LDAP service account, checked at start', { timeout: 120_000 }, () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterAll(async () => {
    await slapd?.close();
  });

  it('a wrong password: /readyz says so in words, logins get 503 without a bind or a log line each, and it recovers once the directory agrees', async () => {
    const { t, lines } = await appWithLog(searchModeConfig(slapd, { search: { bindDn: LDAP_SERVICE.dn, bindPassword: WRONG, baseDn: LDAP_PEOPLE_DN } }));
    try {
      const ready = await t.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({
        errors: [{ code: 'BACKEND_UNAVAILABLE', message: `the LDAP service account ${LDAP_SERVICE.dn} cannot bind: invalid credentials (49)` }],
      });
      const refusals = lines().filter((l) => l.msg.includes('cannot bind'));
      expect(refusals).toHaveLength(1);
      expect(refusals[0]?.level).toBe(50);

      const binds = await slapd.monitor('cn=Bind,cn=Operations', 'monitorOpInitiated');
      const started = Date.now();
      for (let i = 0; i < 10; i++) expect((await login(t, 'alice', alice.password)).statusCode).toBe(503);
      // Only the background recheck binds (every 300 ms here), never a login; the monitor
      // search counts its own bind too.
      const rechecks = Math.ceil((Date.now() - started) / 300) + 1;
      expect((await slapd.monitor('cn=Bind,cn=Operations', 'monitorOpInitiated')) - binds).toBeLessThanOrEqual(rechecks + 1);
      expect((await login(t, ADMIN.username, ADMIN.password)).statusCode).toBe(200);
      // The one error, and the one warning about plain ldap:// every start on it logs.
      expect(lines().filter((l) => l.level >= 40 && !l.msg.includes('unencrypted'))).toHaveLength(1);
      expect(JSON.stringify(lines())).not.toContain(WRONG);

      await setServicePassword(slapd, WRONG);
      try {
        await pollUntil(
          async () => (await t.app.inject({ url: '/readyz' })).statusCode === 200,
          undefined,
          'ready once the directory takes the password',
          10_000,
          100,
        );
        expect((await login(t, 'alice', alice.password)).statusCode).toBe(200);
        expect(lines().some((l) => l.level === 30 && l.msg.includes('binds again'))).toBe(true);
      } finally {
        await setServicePassword(slapd, LDAP_SERVICE.password);
      }
    } finally {
      await t.close();
    }
  });

  it('a directory that does not answer at start: a warning, ready all the same (local users are served), directory logins 503', async () => {
    const dead = `ldap://127.0.0.1:${await freePort()}`;
    const { t, lines } = await appWithLog(searchModeConfig(slapd, { urls: [dead], connectTimeoutMs: 300 }));
    try {
      expect(lines()).toContainEqual(
        expect.objectContaining({ level: 40, msg: expect.stringMatching(/^the LDAP directory did not answer: no LDAP server answered/) }),
      );
      expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
      expect((await login(t, 'alice', alice.password)).statusCode).toBe(503);
    } finally {
      await t.close();
    }
  });

  it('the right password: ready, and one service connection already bound', async () => {
    const { t, lines } = await appWithLog(searchModeConfig(slapd));
    try {
      expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
      expect(await slapd.connectionIdentities()).toContain(LDAP_SERVICE.dn);
      expect(lines().filter((l) => l.level >= 40)).toEqual([expect.objectContaining({ msg: expect.stringContaining('unencrypted') })]);
    } finally {
      await t.close();
    }
  });
});
