import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CERT_FILE, KEY_FILE, generateSigningKey } from '../../../src/token/keys/generate.js';
import { tempDir } from '../../harness/proc.js';

export type TempDir = Awaited<ReturnType<typeof tempDir>>;

/** A fresh directory holding a generated token.key and token.crt. */
export async function generatedKeyDir(algorithm: 'ES256' | 'RS256'): Promise<TempDir> {
  const dir = await tempDir(`keys-${algorithm}`);
  await generateSigningKey({ dir: dir.path, algorithm });
  return dir;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  return '01' + randomBytes(15).toString('hex');
}

/**
 * A directory whose token.crt holds a leaf issued by a CA, leaf first then the CA, as an
 * operator with their own PKI would set it up.
 */
export async function caSignedKeyDir(): Promise<TempDir & { caPem: string; leafPem: string }> {
  x509.cryptoProvider.set(webcrypto);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=test ca',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leafKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=test leaf',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const dir = await tempDir('keys-ca');
  const caPem = ca.toString('pem') + '\n';
  const leafPem = leaf.toString('pem') + '\n';
  await writeFile(join(dir.path, KEY_FILE), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)), { mode: 0o600 });
  await writeFile(join(dir.path, CERT_FILE), leafPem + caPem);
  return { ...dir, caPem, leafPem };
}
