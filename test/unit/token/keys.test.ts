import { X509Certificate, createPrivateKey } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithmFor } from '../../../src/token/keys/algorithms.js';
import { bundleCertificates, jwksFor } from '../../../src/token/keys/bundle.js';
import { CERT_FILE, KEY_FILE } from '../../../src/token/keys/generate.js';
import { libtrustKeyId } from '../../../src/token/keys/kid.js';
import { loadSigningKey } from '../../../src/token/keys/load.js';
import { TokenSigner } from '../../../src/token/signer.js';
import { tempDir } from '../../harness/proc.js';
import { decodeJwt } from '../../helpers/app.js';
import { caSignedKeyDir, generatedKeyDir, type TempDir } from './keys-fixture.js';

let es: TempDir;
let rs: TempDir;
let ca: Awaited<ReturnType<typeof caSignedKeyDir>>;
let scratch: TempDir;

beforeAll(async () => {
  [es, rs, ca, scratch] = await Promise.all([generatedKeyDir('ES256'), generatedKeyDir('RS256'), caSignedKeyDir(), tempDir('keys-bad')]);
});
afterAll(async () => {
  await Promise.all([es, rs, ca, scratch].map((d) => d.remove()));
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (err: { code?: string }) => err.code,
  );
}

type Source = string | { text: string } | null;

/** A directory whose key and cert files are copied from another dir, written as text, or absent (null). */
async function mixedDir(name: string, key: Source, cert: Source): Promise<string> {
  const dir = join(scratch.path, name);
  await mkdir(dir);
  for (const [file, src] of [
    [KEY_FILE, key],
    [CERT_FILE, cert],
  ] as const) {
    if (typeof src === 'string') await copyFile(join(src, file), join(dir, file));
    else if (src) await writeFile(join(dir, file), src.text);
  }
  return dir;
}

describe('generateSigningKey', () => {
  it.each(['ES256', 'RS256'] as const)('%s: key mode 0600, a parseable self-signed cert for that key', async (alg) => {
    const dir = alg === 'ES256' ? es.path : rs.path;
    expect((await stat(join(dir, KEY_FILE))).mode & 0o777).toBe(0o600);
    const key = createPrivateKey(await readFile(join(dir, KEY_FILE)));
    const cert = new X509Certificate(await readFile(join(dir, CERT_FILE)));
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(algorithmFor(key)).toBe(alg);
    expect(new Date(cert.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('loadSigningKey', () => {
  it.each([
    ['ES256', () => es],
    ['RS256', () => rs],
  ] as const)('loads a generated %s key', async (alg, dir) => {
    const key = await loadSigningKey(dir().path, alg);
    expect(key.algorithm).toBe(alg);
    expect(key.chain).toHaveLength(1);
    expect(key.kid).toBe(libtrustKeyId(key.chain[0]!.publicKey));
  });

  it('keeps a CA chain leaf first, the kid naming the leaf', async () => {
    const key = await loadSigningKey(ca.path, 'ES256');
    expect(key.chain.map((c) => c.subject)).toEqual(['CN=test leaf', 'CN=test ca']);
    expect(key.kid).toBe(libtrustKeyId(key.chain[0]!.publicKey));
  });

  it.each<[string, () => Promise<string>, 'ES256' | 'RS256' | undefined]>([
    ['cert of another key', () => mixedDir('mismatch', es.path, rs.path), undefined],
    ['CA first in the bundle', () => mixedDir('ca-first', ca.path, { text: ca.caPem + ca.leafPem }), undefined],
    ['EC key, config says RS256', async () => es.path, 'RS256'],
    ['RSA key, config says ES256', async () => rs.path, 'ES256'],
    ['garbage key file', () => mixedDir('garbage-key', { text: 'not a key\n' }, es.path), undefined],
    ['garbage cert file', () => mixedDir('garbage-cert', es.path, { text: 'not a cert\n' }), undefined],
    ['corrupt PEM block', () => mixedDir('corrupt-cert', es.path, { text: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), undefined],
    ['missing cert', () => mixedDir('no-cert', es.path, null), undefined],
    ['missing key', () => mixedDir('no-key', null, es.path), undefined],
    ['missing directory', async () => join(scratch.path, 'absent'), undefined],
  ])('rejects %s with CONFIG_INVALID', async (_, dir, expected) => {
    expect(await codeOf(loadSigningKey(await dir(), expected))).toBe('CONFIG_INVALID');
  });
});

describe('bundleCertificates', () => {
  it('deduplicates the chain and extra certificates, keeping first-seen order', async () => {
    const key = await loadSigningKey(ca.path);
    const rotated = (await loadSigningKey(es.path)).chain[0]!;
    const [leaf, root] = key.chain as [X509Certificate, X509Certificate];
    const bundle = bundleCertificates(key, [new X509Certificate(ca.leafPem), rotated, new X509Certificate(ca.caPem), rotated]);
    expect(bundle.map((c) => c.fingerprint256)).toEqual([leaf, root, rotated].map((c) => c.fingerprint256));
  });
});

describe('jwksFor', () => {
  it.each([
    ['ES256', () => es],
    ['RS256', () => rs],
    ['CA-issued', () => ca],
  ] as const)('%s: the kid is what the token header carries', async (_, dir) => {
    const key = await loadSigningKey(dir().path);
    const token = await new TokenSigner(key, { x5c: false, kid: true }).sign({ iss: 'i', sub: '', aud: 'a', exp: 2, nbf: 1, iat: 1, jti: 'j', access: [] });
    const { keys } = await jwksFor(bundleCertificates(key, []));
    expect(keys.map((k) => k.kid)).toEqual([decodeJwt(token).header.kid]);
    expect(keys[0]).toMatchObject({ alg: key.algorithm, use: 'sig', kty: key.algorithm === 'RS256' ? 'RSA' : 'EC' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('leaves out a CA that issued another bundle certificate, keeps unrelated ones', async () => {
    const key = await loadSigningKey(ca.path);
    const rotated = (await loadSigningKey(es.path)).chain[0]!;
    const { keys } = await jwksFor(bundleCertificates(key, [rotated]));
    expect(keys.map((k) => k.kid)).toEqual([key.kid, libtrustKeyId(rotated.publicKey)]);
  });
});
