/** Input the database can never store (a NUL byte) is the caller's mistake: 400, never 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, buildTestApp, type TestApp } from '../helpers/app.js';

describe('values the database cannot store', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['PATCH', '/api/v1/users/a%00b', { admin: true }],
    ['PUT', '/api/v1/projects/library/members/group:a%00b', { role: 'guest' }],
    ['DELETE', '/api/v1/projects/a%00b', undefined],
  ] as const)('%s %s answers 400 INVALID_REQUEST', async (method, url, payload) => {
    const res = await t.app.inject({ method, url, payload, headers: { authorization: ADMIN_AUTH } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('INVALID_REQUEST');
  });
});
