import { describe, expect, it } from 'vitest';
import { fromForm, fromQuery } from '../../../src/routes/token-request.js';
import type { Credentials } from '../../../src/realm/realm.js';
import { formatScope } from '../../../src/token/scope.js';
import { codeOf } from '../../helpers/errors.js';

type Params = Record<string, string | string[] | undefined>;

const limits = { maxScopes: 64, maxScopeLength: 512 };
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

/** Credentials with the secret revealed, for comparison. */
function plain(c: Credentials): Record<string, string> {
  if (c.kind === 'anonymous') return { kind: c.kind };
  if (c.kind === 'password') return { kind: c.kind, username: c.username, password: c.password.reveal() };
  return { kind: c.kind, token: c.token.reveal() };
}

describe('fromQuery (GET)', () => {
  it.each<[string, Params, string | undefined, Record<string, string>]>([
    ['no Authorization header: anonymous', { service: 'registry' }, undefined, { kind: 'anonymous' }],
    ['Basic auth: password', { service: 'registry' }, basic('alice', 'pw'), { kind: 'password', username: 'alice', password: 'pw' }],
  ])('%s', (_, query, auth, expected) => {
    expect(plain(fromQuery(query, auth, 'registry', limits).credentials)).toEqual(expected);
  });

  it('reads a docker login request', () => {
    const req = fromQuery({ account: 'alice', client_id: 'docker', offline_token: 'true', service: 'registry' }, basic('alice', 'pw'), 'default', limits);
    expect(req).toMatchObject({ service: 'registry', account: 'alice', offline: true, clientId: 'docker', scopes: [] });
  });

  it('reads a skopeo pull with repeated and duplicate scopes', () => {
    const req = fromQuery({ scope: ['repository:a:pull', 'repository:a:pull,push', 'repository:b:pull'], service: 'registry' }, undefined, 'registry', limits);
    expect(req.scopes.map(formatScope)).toEqual(['repository:a:pull,push', 'repository:b:pull']);
    expect(req).toMatchObject({ account: undefined, offline: false, clientId: '' });
  });

  it.each<[string, Params, string]>([
    ['missing service: the default', {}, 'default'],
    ['empty service: the default', { service: '' }, 'default'],
    ['repeated identical service', { service: ['registry', 'registry'] }, 'registry'],
  ])('%s', (_, query, service) => {
    expect(fromQuery(query, undefined, 'default', limits).service).toBe(service);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', false],
  ])('offline_token=%s -> offline %s', (value, offline) => {
    expect(fromQuery({ offline_token: value }, undefined, 'r', limits).offline).toBe(offline);
  });

  it.each<[string, Params, string | undefined, string]>([
    ['repeated different service', { service: ['registry', 'other'] }, undefined, 'INVALID_REQUEST'],
    ['repeated different account', { account: ['alice', 'bob'] }, basic('alice', 'pw'), 'INVALID_REQUEST'],
    ['malformed Basic', {}, 'Basic !!!', 'INVALID_REQUEST'],
    ['wrong scheme', {}, 'Bearer abc', 'INVALID_REQUEST'],
    ['malformed scope', { scope: 'a:b' }, undefined, 'INVALID_SCOPE'],
  ])('%s -> %s', (_, query, auth, code) => {
    expect(codeOf(() => fromQuery(query, auth, 'registry', limits))).toBe(code);
  });
});

describe('fromForm (POST)', () => {
  it.each<[string, Params, Record<string, string>]>([
    ['password grant', { grant_type: 'password', username: 'alice', password: 'pw' }, { kind: 'password', username: 'alice', password: 'pw' }],
    ['refresh_token grant', { grant_type: 'refresh_token', refresh_token: 'pcr_abc' }, { kind: 'refresh', token: 'pcr_abc' }],
  ])('%s', (_, form, expected) => {
    expect(plain(fromForm(form, 'registry', limits).credentials)).toEqual(expected);
  });

  it('reads a containerd request: space-separated, overlapping scopes', () => {
    const req = fromForm(
      {
        grant_type: 'password',
        username: 'alice',
        password: 'pw',
        client_id: 'containerd-client',
        service: 'registry',
        scope: 'repository:a:pull repository:a:pull,push repository:b:pull',
      },
      'default',
      limits,
    );
    expect(req).toMatchObject({ service: 'registry', clientId: 'containerd-client', offline: false });
    expect(req.scopes.map(formatScope)).toEqual(['repository:a:pull,push', 'repository:b:pull']);
  });

  it.each([
    ['offline', true],
    ['online', false],
  ])('access_type=%s -> offline %s', (value, offline) => {
    expect(fromForm({ grant_type: 'refresh_token', refresh_token: 't', access_type: value }, 'r', limits).offline).toBe(offline);
  });

  it.each<[string, Params, string]>([
    ['missing grant_type', { username: 'alice', password: 'pw' }, 'INVALID_REQUEST'],
    ['empty grant_type', { grant_type: '' }, 'INVALID_REQUEST'],
    ['password grant without username', { grant_type: 'password', password: 'pw' }, 'INVALID_REQUEST'],
    ['password grant without password', { grant_type: 'password', username: 'alice' }, 'INVALID_REQUEST'],
    ['password grant with empty password', { grant_type: 'password', username: 'alice', password: '' }, 'INVALID_REQUEST'],
    ['refresh_token grant without token', { grant_type: 'refresh_token' }, 'INVALID_REQUEST'],
    ['two different passwords', { grant_type: 'password', username: 'alice', password: ['a', 'b'] }, 'INVALID_REQUEST'],
    ['two different grant types', { grant_type: ['password', 'refresh_token'] }, 'INVALID_REQUEST'],
    ['repeated different service', { grant_type: 'refresh_token', refresh_token: 't', service: ['a', 'b'] }, 'INVALID_REQUEST'],
    ['client_credentials', { grant_type: 'client_credentials' }, 'UNSUPPORTED_GRANT_TYPE'],
    ['authorization_code', { grant_type: 'authorization_code', code: 'x' }, 'UNSUPPORTED_GRANT_TYPE'],
    ['malformed scope', { grant_type: 'refresh_token', refresh_token: 't', scope: 'nope' }, 'INVALID_SCOPE'],
  ])('%s -> %s', (_, form, code) => {
    expect(codeOf(() => fromForm(form, 'registry', limits))).toBe(code);
  });
});
