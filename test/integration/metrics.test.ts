import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, basic, buildTestApp, type TestApp } from '../helpers/app.js';

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts token requests by grant and status, and cached password checks', async () => {
    const headers = { authorization: ADMIN_AUTH };
    for (let i = 0; i < 2; i++) expect((await t.app.inject({ url: '/token?service=registry', headers })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/token?service=registry', headers: { authorization: basic(ADMIN.username, 'wrong-password') } })).statusCode).toBe(401);
    const text = (await t.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(/portcullis_token_requests_total\{method="GET",grant="basic",status="200"\} 2/);
    expect(text).toMatch(/portcullis_token_requests_total\{method="GET",grant="basic",status="401"\} 1/);
    expect(text).toMatch(/portcullis_password_checks_total\{result="cached"\} 1/);
    expect(text).toMatch(/portcullis_password_checks_total\{result="invalid"\} 1/);
  });
});
