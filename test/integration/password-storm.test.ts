import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';

describe('password checks run on a bounded queue', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Real bcrypt cost, one check at a time, two may wait: a storm fills that at once.
    t = await buildTestApp({ auth: { bcryptCost: 10, passwordCheckConcurrency: 1, passwordCheckQueue: 2 } });
    granted(await realmGet(t.app, { service: 'registry' }, ADMIN_AUTH));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses password checks beyond the queue at once with 503 and Retry-After, while cached logins go through', async () => {
    const storm = Array.from({ length: 12 }, async () => {
      const started = Date.now();
      const res = await realmGet(t.app, { service: 'registry' }, basic(ADMIN.username, 'wrong-password'));
      return { res, ms: Date.now() - started };
    });
    const cached = await realmGet(t.app, { service: 'registry' }, ADMIN_AUTH);
    const answers = await Promise.all(storm);
    granted(cached);
    const refused = answers.filter((a) => a.res.statusCode === 503);
    const checked = answers.filter((a) => a.res.statusCode === 401);
    expect(checked.length).toBe(3);
    expect(refused.length).toBe(9);
    // Refused without waiting: faster than the last admitted check, which waited for all three.
    const slowestChecked = Math.max(...checked.map((a) => a.ms));
    for (const { res, ms } of refused) {
      expect(errorCode(res, 503)).toBe('OVERLOADED');
      expect(res.headers['retry-after']).toBe('1');
      expect(ms).toBeLessThan(slowestChecked);
    }
  });

  it('the queue drains: a wrong password later gets its 401 again', async () => {
    expect(errorCode(await realmGet(t.app, { service: 'registry' }, basic(ADMIN.username, 'wrong-password')), 401)).toBe('UNAUTHORIZED');
  });
});
