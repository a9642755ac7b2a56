import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { ADMIN_AUTH, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';

describe('credential cache (bcrypt cost 10)', () => {
  let t: TestApp;
  const login = (username: string, password: string) => realmGet(t.app, { service: 'registry' }, basic(username, password));
  /**
   * Real bcrypt comparisons so far, as /metrics counts them: every check but a cache hit (and a
   * refusal without bcrypt) is one. bcrypt runs on worker threads, where no mock reaches.
   */
  const bcryptRuns = async () => {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    return [...text.matchAll(/^portcullis_password_checks_total\{result="(?:valid|invalid|no-user)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };
  /** How many bcrypt comparisons `fn` caused. */
  const verifiesDuring = async (fn: () => Promise<unknown>) => {
    const before = await bcryptRuns();
    await fn();
    return (await bcryptRuns()) - before;
  };

  beforeAll(async () => {
    t = await buildTestApp({ auth: { bcryptCost: 10 } });
    await t.app.services.admin.createUser('alice', new Secret('alice-password-1'), false);
    await t.app.services.admin.createUser('bob', new Secret('alice-password-1'), false);
  });
  afterAll(async () => {
    await t.close();
  });

  it('runs bcrypt once for repeated requests with the same good password', async () => {
    expect(await verifiesDuring(async () => granted(await login('alice', 'alice-password-1')))).toBe(1);
    expect(
      await verifiesDuring(async () => {
        for (let i = 0; i < 3; i++) granted(await login('alice', 'alice-password-1'));
      }),
    ).toBe(0);
  });

  it('is per user: the same password for another user is checked afresh', async () => {
    expect(await verifiesDuring(async () => granted(await login('bob', 'alice-password-1')))).toBe(1);
  });

  it('never caches a failure', async () => {
    expect(
      await verifiesDuring(async () => {
        for (let i = 0; i < 2; i++) expect(errorCode(await login('alice', 'wrong-password'), 401)).toBe('UNAUTHORIZED');
      }),
    ).toBe(2);
  });

  it('spends a bcrypt on unknown users too, so timing does not reveal who exists', async () => {
    expect(await verifiesDuring(async () => expect(errorCode(await login('nobody', 'alice-password-1'), 401)).toBe('UNAUTHORIZED'))).toBe(1);
  });

  it('refuses the old password immediately after a password change', async () => {
    granted(await login('alice', 'alice-password-1'));
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/alice',
      headers: { authorization: ADMIN_AUTH },
      payload: { password: 'alice-password-2' },
    });
    expect(res.statusCode).toBe(200);
    expect(errorCode(await login('alice', 'alice-password-1'), 401)).toBe('UNAUTHORIZED');
    expect(granted(await login('alice', 'alice-password-2')).claims.sub).toBe('alice');
  });

  it('refuses a cached password once the user is disabled', async () => {
    granted(await login('bob', 'alice-password-1'));
    await t.app.services.admin.updateUser('bob', { disabled: true });
    expect(errorCode(await login('bob', 'alice-password-1'), 401)).toBe('UNAUTHORIZED');
  });
});
