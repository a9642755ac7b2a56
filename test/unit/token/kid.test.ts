import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_FILE } from '../../../src/token/keys/generate.js';
import { libtrustKeyId } from '../../../src/token/keys/kid.js';
import { runOk } from '../../harness/proc.js';
import { generatedKeyDir, type TempDir } from './keys-fixture.js';

// The pipeline from the registry notes, verbatim: what an operator would run to check a kid.
const PIPELINE = String.raw`openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | head -c 30 | base32 -w0 | sed 's/.\{4\}/&:/g; s/:$//'`;

const dirs: Partial<Record<'ES256' | 'RS256', TempDir>> = {};

beforeAll(async () => {
  [dirs.ES256, dirs.RS256] = await Promise.all([generatedKeyDir('ES256'), generatedKeyDir('RS256')]);
});
afterAll(async () => {
  await Promise.all(Object.values(dirs).map((d) => d.remove()));
});

describe('libtrustKeyId', () => {
  it.each(['ES256', 'RS256'] as const)('matches the openssl pipeline for an %s certificate', async (alg) => {
    const certFile = join(dirs[alg]!.path, CERT_FILE);
    const cert = new X509Certificate(await readFile(certFile));
    const { stdout } = await runOk('sh', ['-c', PIPELINE, 'sh', certFile]);
    const kid = libtrustKeyId(cert.publicKey);
    expect(kid).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(kid).toBe(stdout.trim());
  });

  it('differs between keys', async () => {
    const [es, rs] = await Promise.all(['ES256', 'RS256'].map(async (alg) => new X509Certificate(await readFile(join(dirs[alg as 'ES256']!.path, CERT_FILE)))));
    expect(libtrustKeyId(es!.publicKey)).not.toBe(libtrustKeyId(rs!.publicKey));
  });
});
