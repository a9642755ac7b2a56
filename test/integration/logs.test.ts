import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/routes/logging.js';
import { Secret } from '../../src/domain/secret.js';
import { ADMIN, ADMIN_AUTH, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';

const PASSWORD = 'log-password-very-secret';

describe('what the service logs at info', () => {
  let t: TestApp;
  let log = '';
  const secrets: string[] = [PASSWORD, ADMIN.password];

  beforeAll(async () => {
    const stream = {
      write: (line: string) => {
        log += line;
      },
    };
    t = await buildTestApp({ identityTokens: { enabled: true } }, { logger: { ...(loggerOptions('info') as object), stream } });
    await t.app.services.admin.createUser('alice', new Secret(PASSWORD), false);

    const auth = basic('alice', PASSWORD);
    secrets.push(auth, auth.slice('Basic '.length), ADMIN_AUTH.slice('Basic '.length));
    const login = granted(await realmGet(t.app, { account: 'alice', client_id: 'docker', offline_token: 'true', service: 'registry' }, auth));
    const refreshToken = login.body.refresh_token as string;
    secrets.push(login.body.token, refreshToken);
    const post = granted(
      await realmPost(t.app, { grant_type: 'password', username: 'alice', password: PASSWORD, service: 'registry', scope: 'repository:library/x:pull' }),
    );
    const refreshed = granted(await realmPost(t.app, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'docker', service: 'registry' }));
    secrets.push(post.body.token, refreshed.body.token);
    expect(errorCode(await realmGet(t.app, { service: 'registry' }, basic('alice', `${PASSWORD}-wrong`)), 401)).toBe('UNAUTHORIZED');
    expect(errorCode(await realmPost(t.app, { grant_type: 'refresh_token', refresh_token: `${refreshToken}x`, service: 'registry' }), 401)).toBe(
      'INVALID_GRANT',
    );
    // Secrets where no client should put them: in the query string, in an admin request body.
    expect(errorCode(await t.app.inject({ url: `/token?service=nope&password=${PASSWORD}&refresh_token=${refreshToken}` }), 400)).toBe('UNKNOWN_SERVICE');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: ADMIN_AUTH },
      payload: { username: 'bob', password: PASSWORD },
    });
    expect(created.statusCode).toBe(201);

    // A robot: created and refreshed (its secret in the response bodies), logged in, refused once disabled.
    const api = (method: 'POST' | 'PATCH', url: string, payload: object) =>
      t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: ADMIN_AUTH }, payload });
    const robot = (await api('POST', '/robots', { name: 'ci', permissions: [{ project: 'library', actions: ['pull'] }] })).json<{ secret: string }>();
    const rotated = (await api('POST', '/robots/robot%24ci/refresh', {})).json<{ secret: string }>();
    secrets.push(robot.secret, rotated.secret, basic('robot$ci', rotated.secret).slice('Basic '.length));
    granted(await realmGet(t.app, { service: 'registry', scope: 'repository:library/x:pull' }, basic('robot$ci', rotated.secret)));
    expect((await api('PATCH', '/robots/robot%24ci', { disabled: true })).statusCode).toBe(200);
    expect(errorCode(await realmGet(t.app, { service: 'registry' }, basic('robot$ci', rotated.secret)), 401)).toBe('UNAUTHORIZED');
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs the requests and the tokens issued', () => {
    expect(log).toContain('"msg":"token issued"');
    expect(log).toContain('"sub":"alice"');
    expect(log).toContain('"via":"refresh"');
    expect(log).toContain('/api/v1/users');
    expect(log).toContain('"sub":"robot$ci"');
    expect(log).toMatch(/"robot":"robot\$ci","reason":"disabled".*"msg":"robot login refused: the robot is disabled"/);
  });

  it('never logs a password, a Basic header, a JWT or a refresh token', () => {
    for (const secret of secrets) expect(log, `log contains ${secret.slice(0, 12)}...`).not.toContain(secret);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(log).not.toMatch(/pcr_[A-Za-z0-9_-]{20,}/);
    expect(log).not.toMatch(/pcb_[A-Za-z0-9_-]{20,}/);
  });
});
