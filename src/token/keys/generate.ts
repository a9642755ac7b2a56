import 'reflect-metadata';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';

import { CERT_FILE, KEY_FILE } from './files.js';

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
 * Writes a new signing key (PKCS#8, mode 0600) and a self-signed certificate for it. The
 * registry accepts a self-signed leaf that is itself in its rootcertbundle.
 */
export async function generateSigningKey(opts: GenerateOptions): Promise<{ keyFile: string; certFile: string }> {
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
  // A new keys directory is private (an existing one keeps its mode): only the service reads the key.
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const keyFile = join(opts.dir, KEY_FILE);
  const certFile = join(opts.dir, CERT_FILE);
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  // writeFile's mode applies only to a new file; a replaced key (--force) must not stay readable.
  await chmod(keyFile, 0o600);
  await writeFile(certFile, `${cert.toString('pem')}\n`, { mode: 0o644 });
  return { keyFile, certFile };
}
