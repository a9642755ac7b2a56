import { createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { basic, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };
const SERVICE = 'registry';
const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const postgres = usePostgres();

describe.each(STORES)('realm endpoint on the %s store', (kind) => {
  let t: TestApp;
  const alice = basic(ALICE.username, ALICE.password);

  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres);
    const { admin } = t.app.services;
    await admin.createUser(ALICE.username, new Secret(ALICE.password), false);
    await admin.createUser(BOB.username, new Secret(BOB.password), false);
    await admin.createProject('team', false);
    await admin.setMember('team', { kind: 'user', name: ALICE.username }, 'developer');
  });
  afterAll(async () => {
    await t.close();
  });

  describe('what real clients send', () => {
    it('skopeo/podman login (no scope): a well-formed token with empty access', async () => {
      const res = await realmGet(t.app, { account: ALICE.username, service: SERVICE }, alice);
      const { body, claims } = granted(res);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(body.token).toBe(body.access_token);
      expect(Number.isInteger(body.expires_in)).toBe(true);
      expect(body.expires_in).toBeGreaterThanOrEqual(60);
      expect(body.issued_at).toMatch(RFC3339_SECONDS);
      expect(body).not.toHaveProperty('refresh_token');
      expect(claims).toMatchObject({ iss: 'portcullis', aud: SERVICE, sub: ALICE.username, access: [] });
      for (const k of ['exp', 'nbf', 'iat']) expect(Number.isInteger(claims[k]), k).toBe(true);
      expect(claims.exp as number).toBeGreaterThanOrEqual(Date.parse(body.issued_at) / 1000 + body.expires_in);
      expect(res.body).not.toContain(ALICE.password);
    });

    it('the token verifies against the published bundle', async () => {
      const { body } = granted(await realmGet(t.app, { account: ALICE.username, service: SERVICE }, alice));
      const pem = (await t.app.inject({ url: '/certs/bundle.pem' })).body;
      const { payload } = await jwtVerify(body.token, createPublicKey(pem), { issuer: 'portcullis', audience: SERVICE });
      expect(payload.sub).toBe(ALICE.username);
    });

    it('docker login (client_id=docker, offline_token=true): a token, no refresh_token by default', async () => {
      const res = await realmGet(t.app, { account: ALICE.username, client_id: 'docker', offline_token: 'true', service: SERVICE }, alice);
      const { body, access } = granted(res);
      expect(access).toEqual([]);
      expect(body).not.toHaveProperty('refresh_token');
    });

    it('repeated scope parameters with duplicates and a mount source are merged', async () => {
      const res = await realmGet(
        t.app,
        {
          account: ALICE.username,
          scope: ['repository:team/app:pull,push', 'repository:team/app:pull', 'repository:library/base:pull', 'repository:team/app:push'],
          service: SERVICE,
        },
        alice,
      );
      expect(granted(res).access).toEqual([
        { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
        { type: 'repository', name: 'library/base', actions: ['pull'] },
      ]);
    });

    it('ctr POST form with space-separated, overlapping scopes', async () => {
      const res = await realmPost(t.app, {
        grant_type: 'password',
        username: ALICE.username,
        password: ALICE.password,
        client_id: 'containerd-client',
        service: SERVICE,
        scope: 'repository:team/app:pull repository:team/app:pull,push repository:team/app:pull',
      });
      const { body, claims } = granted(res);
      expect(claims).toMatchObject({ sub: ALICE.username, access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }] });
      expect(body.token).toBe(body.access_token);
      expect(res.body).not.toContain(ALICE.password);
    });

    it('an unauthorized action is left out, not refused', async () => {
      const res = await realmGet(t.app, { scope: 'repository:team/app:pull,push,delete', service: SERVICE }, alice);
      expect(granted(res).access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
    });

    it('a user with no role gets 200 and empty access on a private project', async () => {
      const res = await realmGet(t.app, { scope: 'repository:team/app:pull', service: SERVICE }, basic(BOB.username, BOB.password));
      const { claims } = granted(res);
      expect(claims).toMatchObject({ sub: BOB.username, access: [] });
    });

    it('anonymous: pull on the public library, nothing on a private project', async () => {
      const res = await realmGet(t.app, { scope: ['repository:library/alpine:pull,push', 'repository:team/app:pull'], service: SERVICE });
      const { claims } = granted(res);
      expect(claims).toMatchObject({ sub: '', access: [{ type: 'repository', name: 'library/alpine', actions: ['pull'] }] });
    });

    it('a single-segment name lives in library', async () => {
      const res = await realmGet(t.app, { scope: 'repository:alpine:pull', service: SERVICE });
      expect(granted(res).access).toEqual([{ type: 'repository', name: 'alpine', actions: ['pull'] }]);
    });
  });

  describe('refusals', () => {
    it('a wrong password is 401 UNAUTHORIZED with a Basic challenge', async () => {
      const res = await realmGet(t.app, { account: ALICE.username, service: SERVICE }, basic(ALICE.username, 'wrong-password'));
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
      expect(res.body).not.toContain('wrong-password');
    });

    it('an unknown user is the same 401', async () => {
      const res = await realmGet(t.app, { service: SERVICE }, basic('nobody', 'whatever-password'));
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    });

    it('a wrong password on the POST form is 401 too', async () => {
      const res = await realmPost(t.app, { grant_type: 'password', username: ALICE.username, password: 'nope-nope', service: SERVICE });
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
    });

    it('account naming someone else is 400', async () => {
      const res = await realmGet(t.app, { account: BOB.username, service: SERVICE }, alice);
      expect(errorCode(res, 400)).toBe('INVALID_REQUEST');
    });

    it('an unknown service is 400 UNKNOWN_SERVICE on GET and POST', async () => {
      expect(errorCode(await realmGet(t.app, { service: 'other' }, alice), 400)).toBe('UNKNOWN_SERVICE');
      const post = await realmPost(t.app, { grant_type: 'password', username: ALICE.username, password: ALICE.password, service: 'other' });
      expect(errorCode(post, 400)).toBe('UNKNOWN_SERVICE');
    });

    it('malformed Basic credentials are 400', async () => {
      expect(errorCode(await realmGet(t.app, { service: SERVICE }, 'Basic !!!not-base64!!!'), 400)).toBe('INVALID_REQUEST');
      const noColon = `Basic ${Buffer.from('alice').toString('base64')}`;
      expect(errorCode(await realmGet(t.app, { service: SERVICE }, noColon), 400)).toBe('INVALID_REQUEST');
    });

    it('more scopes than the limit is 400 INVALID_SCOPE', async () => {
      const scope = Array.from({ length: 65 }, (_, i) => `repository:team/r${i}:pull`);
      expect(errorCode(await realmGet(t.app, { scope, service: SERVICE }, alice), 400)).toBe('INVALID_SCOPE');
    });

    it('a 20 KB Authorization header is a JSON 400', async () => {
      const res = await realmGet(t.app, { service: SERVICE }, `Basic ${'A'.repeat(20_000)}`);
      expect(errorCode(res, 400)).toBe('INVALID_REQUEST');
    });

    it('POST bodies that are neither form nor valid JSON get a JSON 4xx, never 500', async () => {
      const xml = await t.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/xml' }, payload: '<grant/>' });
      expect(errorCode(xml, 415)).toBe('INVALID_REQUEST');
      const badJson = await t.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json' }, payload: '{"grant_type":' });
      expect(errorCode(badJson, 400)).toBe('INVALID_REQUEST');
      const notStrings = await t.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json' }, payload: '{"grant_type":1}' });
      expect(errorCode(notStrings, 400)).toBe('INVALID_REQUEST');
    });

    it('POST without grant_type, or with an unsupported one, is 400', async () => {
      expect(errorCode(await realmPost(t.app, { service: SERVICE }), 400)).toBe('INVALID_REQUEST');
      const res = await realmPost(t.app, { grant_type: 'client_credentials', service: SERVICE });
      expect(errorCode(res, 400)).toBe('UNSUPPORTED_GRANT_TYPE');
      expect(res.json()).toMatchObject({ error: 'unsupported_grant_type' });
    });
  });
});

describe('realm endpoint over a real socket', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await buildStoreApp('embedded', postgres);
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a 20 KB Authorization header reaches the handler and gets a JSON 400', async () => {
    const res = await fetch(`${base}/token?service=registry`, { headers: { authorization: `Basic ${'A'.repeat(20_000)}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ code: 'INVALID_REQUEST' }] });
  });

  it('headers beyond the server limit still get a JSON 400', async () => {
    const res = await fetch(`${base}/token?service=registry`, { headers: { authorization: `Basic ${'A'.repeat(70_000)}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ code: 'INVALID_REQUEST' }] });
  });
});
