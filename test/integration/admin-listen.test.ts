import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, buildTestApp, type TestApp } from '../helpers/app.js';

describe('adminListen: the admin API and /metrics on their own address', () => {
  let t: TestApp;
  let publicUrl: string;
  let adminUrl: string;
  const get = async (base: string, path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: ADMIN_AUTH } });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    t = await buildTestApp({ adminListen: '127.0.0.1:0' });
    publicUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    adminUrl = (await t.app.adminListener?.listen()) ?? '';
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves them on adminListen', async () => {
    expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(adminUrl).not.toBe(publicUrl);
    const users = await get(adminUrl, '/api/v1/users');
    expect(users.status).toBe(200);
    expect(JSON.parse(users.body)).toContainEqual(expect.objectContaining({ username: 'admin' }));
    expect((await get(adminUrl, '/api/v1/openapi.json')).status).toBe(200);
    const metrics = await get(adminUrl, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^# HELP /m);
    expect((await get(adminUrl, '/readyz')).status).toBe(200);
  });

  it.each(['/api/v1/users', '/api/v1/openapi.json', '/api/v1/me', '/metrics', '/%61pi/v1/users', '/metrics?x=1'])(
    'answers %s on the public listener as a path that does not exist',
    async (path) => {
      const res = await get(publicUrl, path);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ errors: [{ code: 'NOT_FOUND', message: expect.stringMatching(/^no route for GET \//) }] });
    },
  );

  it('keeps the realm and the keys on the public listener only', async () => {
    const token = await get(publicUrl, '/token?service=registry');
    expect(token.status).toBe(200);
    expect(JSON.parse(token.body).token).toEqual(expect.any(String));
    expect((await get(publicUrl, '/.well-known/jwks.json')).status).toBe(200);
    expect((await get(publicUrl, '/readyz')).status).toBe(200);
    expect((await get(adminUrl, '/token?service=registry')).status).toBe(404);
    expect((await get(adminUrl, '/.well-known/jwks.json')).status).toBe(404);
  });
});

describe('without adminListen', () => {
  it('serves the admin API and /metrics on the one listener', async () => {
    const t = await buildTestApp();
    try {
      expect(t.app.adminListener).toBeUndefined();
      const [users, metrics] = await Promise.all([
        t.app.inject({ url: '/api/v1/users', headers: { authorization: ADMIN_AUTH } }),
        t.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' }),
      ]);
      expect([users.statusCode, metrics.statusCode]).toEqual([200, 200]);
    } finally {
      await t.close();
    }
  });
});
