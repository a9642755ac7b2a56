import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { ADMIN_AUTH, basic, sqlOf, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const PASSWORD = 'identity-password-1';
const SCOPE = 'repository:team/app:pull,push';

const postgres = usePostgres();

describe.each(STORES)('identity tokens on the %s store', (kind) => {
  let t: TestApp;

  /** docker login: the password once, asking for offline access. */
  const login = async (username: string, app = t.app): Promise<string> => {
    const res = await realmGet(app, { account: username, client_id: 'docker', offline_token: 'true', service: 'registry' }, basic(username, PASSWORD));
    const { body } = granted(res);
    expect(body.refresh_token).toMatch(/^pcr_[A-Za-z0-9_-]{40,}$/);
    return body.refresh_token as string;
  };
  /** docker pull/push afterwards: the refresh token alone, no Authorization header. */
  const refresh = (token: string, clientId = 'docker', app = t.app) =>
    realmPost(app, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId, service: 'registry', scope: SCOPE });
  const patchUser = (name: string, body: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/users/${name}`, headers: { authorization: ADMIN_AUTH }, payload: body });
  const newUser = async (name: string, app = t.app) => {
    await app.services.admin.createUser(name, new Secret(PASSWORD), false);
    await app.services.admin.setMember('team', { kind: 'user', name }, 'developer');
  };

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres, { identityTokens: { enabled: true } });
    await t.app.services.admin.createProject('team', false);
    await newUser('alice');
  });
  afterAll(async () => {
    await t.close();
  });

  it('only a login that asks for offline access gets one', async () => {
    const plain = granted(await realmGet(t.app, { account: 'alice', service: 'registry' }, basic('alice', PASSWORD)));
    expect(plain.body).not.toHaveProperty('refresh_token');
    const ctr = granted(await realmPost(t.app, { grant_type: 'password', username: 'alice', password: PASSWORD, service: 'registry', access_type: 'offline' }));
    expect(ctr.body.refresh_token).toMatch(/^pcr_/);
  });

  it('the refresh grant yields a token for the same user, again and again, without rotating', async () => {
    const token = await login('alice');
    for (const clientId of ['docker', 'docker', 'containers/image']) {
      const { body, claims } = granted(await refresh(token, clientId));
      expect(claims).toMatchObject({ sub: 'alice', access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }] });
      expect(body).not.toHaveProperty('refresh_token');
    }
  });

  it('survives a restart on the same data', async () => {
    const token = await login('alice');
    await t.restart();
    expect(granted(await refresh(token)).claims).toMatchObject({ sub: 'alice' });
  });

  it('is stored only as a hash', async () => {
    const token = await login('alice');
    const rows = await sqlOf(t).query<Record<string, unknown>>('SELECT * FROM refresh_tokens');
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    for (const row of rows) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is revoked by a password change', async () => {
    await newUser('carol');
    const token = await login('carol');
    expect((await patchUser('carol', { password: 'carol-new-password' })).statusCode).toBe(200);
    expect(errorCode(await refresh(token), 401)).toBe('INVALID_GRANT');
  });

  it('is revoked by disabling the user, and stays revoked after re-enabling', async () => {
    await newUser('dave');
    const token = await login('dave');
    expect((await patchUser('dave', { disabled: true })).statusCode).toBe(200);
    expect(errorCode(await refresh(token), 401)).toBe('INVALID_GRANT');
    expect((await patchUser('dave', { disabled: false })).statusCode).toBe(200);
    expect(errorCode(await refresh(token), 401)).toBe('INVALID_GRANT');
  });

  it('is revoked on demand, through the admin API, leaving the password working', async () => {
    await newUser('gina');
    const [first, second] = [await login('gina'), await login('gina')];
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/gina/identity-tokens', headers: { authorization: ADMIN_AUTH } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revoked: 2 });
    for (const token of [first, second]) expect(errorCode(await refresh(token), 401)).toBe('INVALID_GRANT');
    expect(await login('gina')).toMatch(/^pcr_/);
  });

  it('expired ones are refused and swept from the store', async () => {
    await newUser('hank');
    const token = await login('hank');
    await sqlOf(t).query("UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = (SELECT id FROM users WHERE username = 'hank')");
    expect(errorCode(await refresh(token), 401)).toBe('INVALID_GRANT');
    expect(await t.app.services.store.refreshTokens.deleteExpired(new Date())).toBe(1);
  });

  it('is revoked by deleting the user', async () => {
    await newUser('erin');
    const token = await login('erin');
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/erin', headers: { authorization: ADMIN_AUTH } });
    expect(res.statusCode).toBe(204);
    expect(errorCode(await refresh(token), 401)).toBe('INVALID_GRANT');
  });

  it('a garbage or missing refresh token is refused', async () => {
    for (const garbage of ['garbage', `pcr_${'A'.repeat(43)}`, `pcr_${'x'.repeat(300)}`]) {
      const res = await refresh(garbage);
      expect(errorCode(res, 401)).toBe('INVALID_GRANT');
      expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    }
    expect(errorCode(await realmPost(t.app, { grant_type: 'refresh_token', service: 'registry' }), 400)).toBe('INVALID_REQUEST');
  });

  // Its own app: turning the feature off must not change what the other tests run against.
  describe('turned off', () => {
    let own: TestApp;
    beforeEach(async () => {
      own = await buildStoreApp(kind, postgres, { identityTokens: { enabled: true } });
      await own.app.services.admin.createProject('team', false);
      await newUser('alice', own.app);
    });
    afterEach(async () => {
      await own?.close();
    });

    it('stop working once identity tokens are turned off', async () => {
      const token = await login('alice', own.app);
      await own.restart({ identityTokens: { ...own.config.identityTokens, enabled: false } });
      expect(errorCode(await refresh(token, 'docker', own.app), 401)).toBe('INVALID_GRANT');
    });
  });
});
