import { readFile, access } from 'node:fs/promises';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from '../../domain/errors.js';
import { algorithmFor, type SigningAlgorithm } from './algorithms.js';
import { libtrustKeyId } from './kid.js';
import { SLOT_FILES, type Slot } from './files.js';

/** The key tokens are signed with, and the certificate chain the registry verifies them by. */
export interface SigningKey {
  algorithm: SigningAlgorithm;
  privateKey: KeyObject;
  /** Leaf first, then any issuing CA certificates, as they stand in token.crt. */
  chain: X509Certificate[];
  kid: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parseCertificates(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${source} holds no PEM certificate`);
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    throw new ConfigError(`${source} holds an unreadable certificate: ${(err as Error).message}`);
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Whether the keys directory holds the slot's pair: true for both files, false for neither. One
 * without the other is a ConfigError: a certificate the registry already trusts would otherwise
 * be replaced by a new key's, silently, and every token refused.
 */
export async function pairExists(dir: string, slot: Slot): Promise<boolean> {
  const files = SLOT_FILES[slot];
  const [key, cert] = await Promise.all(
    [files.key, files.cert].map((f) =>
      access(join(dir, f)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (key && !cert)
    throw new ConfigError(`${join(dir, files.key)} has no certificate beside it (${files.cert}): restore it, or move the key away to generate a new pair`);
  if (cert && !key)
    throw new ConfigError(
      `${join(dir, files.cert)} has no private key beside it (${files.key}): restore it, or move the certificate away to generate a new pair`,
    );
  return key === true && cert === true;
}

/** Whether the directory holds a current (signing) key; see pairExists. */
export function signingKeyExists(dir: string): Promise<boolean> {
  return pairExists(dir, 'current');
}

export function loadSigningKey(dir: string, expected?: 'ES256' | 'RS256'): Promise<SigningKey> {
  return loadKeyPair(dir, 'current', expected);
}

/** Reads a slot's key and chain and checks that they belong together. */
export async function loadKeyPair(dir: string, slot: Slot, expected?: 'ES256' | 'RS256'): Promise<SigningKey> {
  const keyFile = join(dir, SLOT_FILES[slot].key);
  const certFile = join(dir, SLOT_FILES[slot].cert);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readText(keyFile, 'signing key'));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${keyFile} is not a readable private key: ${(err as Error).message}`);
  }
  const chain = parseCertificates(await readText(certFile, 'certificate'), certFile);
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(privateKey)) throw new ConfigError(`the first certificate in ${certFile} does not belong to ${keyFile}`);
  let algorithm: SigningAlgorithm;
  try {
    algorithm = algorithmFor(privateKey);
  } catch (err) {
    throw new ConfigError(`${keyFile}: ${(err as Error).message}`);
  }
  if (expected && algorithm !== expected) {
    throw new ConfigError(`token.algorithm is ${expected} but ${keyFile} is a key for ${algorithm}`);
  }
  return { algorithm, privateKey, chain, kid: libtrustKeyId(leaf.publicKey) };
}

export async function loadCertificateFiles(files: readonly string[]): Promise<X509Certificate[]> {
  const lists = await Promise.all(files.map(async (f) => parseCertificates(await readText(f, 'certificate'), f)));
  return lists.flat();
}
