import { describe, expect, it } from 'vitest';
import { buildClaims, type ClaimsInput } from '../../../src/token/claims.js';

const base: ClaimsInput = {
  issuer: 'portcullis',
  audience: 'registry',
  subject: 'alice',
  access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
  issuedAt: 1_700_000_000,
  ttlSeconds: 300,
  jwtId: 'jti-1',
};

describe('buildClaims', () => {
  it.each([
    ['whole second', 1_700_000_000, 1_700_000_000],
    ['fraction floored', 1_700_000_000.999, 1_700_000_000],
  ])('times are integers (%s), exp = iat + ttl, nbf = iat', (_, issuedAt, iat) => {
    const claims = buildClaims({ ...base, issuedAt });
    expect(claims).toMatchObject({ iat, nbf: iat, exp: iat + 300 });
    for (const t of [claims.iat, claims.nbf, claims.exp]) expect(Number.isInteger(t)).toBe(true);
  });

  it.each([60, 300, 86_400])('exp = iat + ttl for ttl %i', (ttlSeconds) => {
    expect(buildClaims({ ...base, ttlSeconds }).exp).toBe(base.issuedAt + ttlSeconds);
  });

  it('aud is a plain string, never an array', () => {
    const json = JSON.parse(JSON.stringify(buildClaims(base))) as Record<string, unknown>;
    expect(json.aud).toBe('registry');
    expect(json).toMatchObject({ iss: 'portcullis', sub: 'alice', jti: 'jti-1' });
  });

  it('sub is the empty string for anonymous and access may be empty', () => {
    const claims = buildClaims({ ...base, subject: '', access: [] });
    expect(claims.sub).toBe('');
    expect(claims.access).toEqual([]);
  });

  it('copies access so later changes to the input do not leak into the token', () => {
    const access = [{ type: 'repository', name: 'a', actions: ['pull'] }];
    const claims = buildClaims({ ...base, access });
    (access[0] as { actions: string[] }).actions.push('push');
    expect(claims.access).toEqual([{ type: 'repository', name: 'a', actions: ['pull'] }]);
  });

  it('access carries only type, name and actions', () => {
    const extra = { type: 'repository', name: 'a', actions: ['pull'], class: 'plugin' };
    expect(Object.keys(buildClaims({ ...base, access: [extra] }).access[0] ?? {})).toEqual(['type', 'name', 'actions']);
  });
});
