import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, basic, buildTestApp, decodeJwt, type TestApp } from '../helpers/app.js';

describe('token endpoint on the embedded store', () => {
  let t: TestApp;
  beforeAll(async () => { t = await buildTestApp(); });
  afterAll(async () => { await t.close(); });

  it('grants the admin what it asks for', async () => {
    const res = await t.app.inject({ url: '/token?service=registry&scope=repository:library/x:pull,push', headers: { authorization: basic(ADMIN.username, ADMIN.password) } });
    expect(res.statusCode).toBe(200);
    const { claims } = decodeJwt(res.json().token);
    expect(claims.access).toEqual([{ type: 'repository', name: 'library/x', actions: ['pull', 'push'] }]);
  });
});
