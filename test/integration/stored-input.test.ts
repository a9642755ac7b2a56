/** Input the database can never store (a NUL byte) is the caller's mistake: 400, never 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPgError } from '../../src/backends/sql/postgres.js';
import { ADMIN, basic, buildTestApp, type TestApp } from '../helpers/app.js';

describe('values the database cannot store', () => {
  let t: TestApp;
  beforeAll(async () => { t = await buildTestApp(); });
  afterAll(async () => { await t.close(); });

  it.each([
    ['PATCH', '/api/v1/users/a%00b', { admin: true }],
    ['PUT', '/api/v1/projects/library/members/group:a%00b', { role: 'guest' }],
    ['DELETE', '/api/v1/projects/a%00b', undefined],
  ] as const)('%s %s answers 400 INVALID_REQUEST', async (method, url, payload) => {
    const res = await t.app.inject({ method, url, payload, headers: { authorization: basic(ADMIN.username, ADMIN.password) } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('INVALID_REQUEST');
  });

  it('maps PostgreSQL data exceptions (class 22) to INVALID_REQUEST and keeps outages as BACKEND_UNAVAILABLE', () => {
    expect((classifyPgError(Object.assign(new Error('invalid byte sequence'), { code: '22021' })) as { code: string }).code).toBe('INVALID_REQUEST');
    expect((classifyPgError(Object.assign(new Error('terminating connection'), { code: '57P01' })) as { code: string }).code).toBe('BACKEND_UNAVAILABLE');
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(classifyPgError(unique)).toBe(unique);
  });
});
