import 'reflect-metadata';
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CERT_FILE, KEY_FILE } from './files.js';
import { writeBundle, writePair, type KeyPairPem } from './rotation-files.js';

export { CERT_FILE, KEY_FILE };

export interface GenerateOptions {
  dir: string;
  algorithm: 'ES256' | 'RS256';
  commonName?: string;
  validDays?: number;
}

const PARAMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const;

/**
 * A new signing key (PKCS#8) and a self-signed certificate for it. The registry accepts a
 * self-signed leaf that is itself in its rootcertbundle.
 */
export async function createKeyPair(opts: Omit<GenerateOptions, 'dir'>): Promise<KeyPairPem> {
  x509.cryptoProvider.set(webcrypto);
  const params = PARAMS[opts.algorithm];
  const keys = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial: DER reads a leading 1 bit as a negative number.
    serialNumber: `1${randomBytes(16).toString('hex').slice(1)}`,
    name: `CN=${opts.commonName ?? 'portcullis token signer'}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.validDays ?? 3650) * 86_400_000),
    keys,
    signingAlgorithm: params,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${(pkcs8.match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: `${cert.toString('pem')}\n` };
}

/** A new current key in `dir` (first start, `keys generate`), and the bundle that publishes it. */
export async function generateSigningKey(opts: GenerateOptions): Promise<{ keyFile: string; certFile: string }> {
  const files = await writePair(opts.dir, 'current', await createKeyPair(opts));
  await writeBundle(opts.dir);
  return files;
}
