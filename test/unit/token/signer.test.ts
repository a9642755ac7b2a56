import { X509Certificate } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildClaims } from '../../../src/token/claims.js';
import { loadSigningKey, type SigningKey } from '../../../src/token/keys/load.js';
import { TokenSigner } from '../../../src/token/signer.js';
import { decodeJwt } from '../../helpers/app.js';
import { caSignedKeyDir, generatedKeyDir, type TempDir } from './keys-fixture.js';

const NOW = new Date('2030-01-02T03:04:05Z');
const dirs: TempDir[] = [];
const keys: Record<'ES256' | 'RS256' | 'CA', SigningKey> = {} as never;

beforeAll(async () => {
  const [es, rs, ca] = await Promise.all([generatedKeyDir('ES256'), generatedKeyDir('RS256'), caSignedKeyDir()]);
  dirs.push(es, rs, ca);
  [keys.ES256, keys.RS256, keys.CA] = await Promise.all([loadSigningKey(es.path), loadSigningKey(rs.path), loadSigningKey(ca.path)]);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.setSystemTime(NOW));
afterAll(async () => {
  vi.useRealTimers();
  await Promise.all(dirs.map((d) => d.remove()));
});

function claims() {
  return buildClaims({
    issuer: 'portcullis',
    audience: 'registry',
    subject: 'alice',
    issuedAt: Date.now() / 1000,
    ttlSeconds: 300,
    jwtId: 'j1',
    access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
  });
}

const STD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

describe('TokenSigner', () => {
  it.each(['ES256', 'RS256', 'CA'] as const)('%s: the token verifies against the leaf certificate', async (which) => {
    const key = keys[which];
    const token = await new TokenSigner(key, { x5c: true, kid: true }).sign(claims());
    const { payload, protectedHeader } = await jwtVerify(token, key.chain[0]!.publicKey, { issuer: 'portcullis', audience: 'registry' });
    expect(protectedHeader.alg).toBe(which === 'RS256' ? 'RS256' : 'ES256');
    expect(payload).toMatchObject({ sub: 'alice', aud: 'registry', iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 300 });
    expect(payload.access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  });

  it('does not verify against another key', async () => {
    const token = await new TokenSigner(keys.ES256, { x5c: false, kid: false }).sign(claims());
    await expect(jwtVerify(token, keys.CA.chain[0]!.publicKey)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it.each(['ES256', 'CA'] as const)('%s: x5c holds padded standard base64 DER, leaf first', async (which) => {
    const key = keys[which];
    const { header } = decodeJwt(await new TokenSigner(key, { x5c: true, kid: false }).sign(claims()));
    const x5c = header.x5c as string[];
    expect(x5c).toHaveLength(key.chain.length);
    x5c.forEach((entry, i) => {
      expect(entry).toMatch(STD_BASE64);
      expect(entry.length % 4).toBe(0);
      expect(Buffer.from(entry, 'base64').equals(key.chain[i]!.raw)).toBe(true);
    });
    expect(new X509Certificate(Buffer.from(x5c[0]!, 'base64')).checkPrivateKey(key.privateKey)).toBe(true);
  });

  it.each([
    { x5c: true, kid: true },
    { x5c: true, kid: false },
    { x5c: false, kid: true },
    { x5c: false, kid: false },
  ])('header fields follow the options %o', async (opts) => {
    const signer = new TokenSigner(keys.ES256, opts);
    const { header } = decodeJwt(await signer.sign(claims()));
    expect(header.alg).toBe('ES256');
    expect(header.typ).toBe('JWT');
    expect(header.kid).toBe(opts.kid ? keys.ES256.kid : undefined);
    expect('x5c' in header).toBe(opts.x5c);
    expect(signer.kid).toBe(keys.ES256.kid);
  });

  it('an expired token is refused once the clock passes exp plus leeway', async () => {
    const token = await new TokenSigner(keys.ES256, { x5c: true, kid: true }).sign(claims());
    vi.setSystemTime(NOW.getTime() + 361_000);
    await expect(jwtVerify(token, keys.ES256.chain[0]!.publicKey, { clockTolerance: 60 })).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });
});
