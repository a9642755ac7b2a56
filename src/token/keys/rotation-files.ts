import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../domain/errors.js';
import { writeFileAtomic } from './atomic.js';
import { bundlePem } from './bundle.js';
import { BUNDLE_FILE, ROTATION_FILE, SLOT_FILES, type Slot } from './files.js';
import { loadKeySet, publishedCertificates } from './key-set.js';

/** When the last `keys rotate` and `keys promote` happened, as rotation.json records them. */
export interface RotationRecord {
  rotatedAt?: string;
  promotedAt?: string;
}

export async function readRotation(dir: string): Promise<RotationRecord> {
  const file = join(dir, ROTATION_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const record = JSON.parse(text) as RotationRecord;
    return { ...(record.rotatedAt ? { rotatedAt: record.rotatedAt } : {}), ...(record.promotedAt ? { promotedAt: record.promotedAt } : {}) };
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export async function writeRotation(dir: string, record: RotationRecord): Promise<void> {
  await writeFileAtomic(join(dir, ROTATION_FILE), `${JSON.stringify(record, null, 2)}\n`, 0o644);
}

/** Rewrites bundle.pem from the slots: every certificate the registry must trust now. */
export async function writeBundle(dir: string): Promise<string> {
  const file = join(dir, BUNDLE_FILE);
  await writeFileAtomic(file, bundlePem(publishedCertificates(await loadKeySet(dir))), 0o644);
  return file;
}

export interface KeyPairPem {
  keyPem: string;
  certPem: string;
}

/**
 * Writes a slot's pair, the key (mode 0600) before its certificate, each file replaced whole: a
 * reader that comes between the two sees a certificate not matching the key and tries again.
 */
export async function writePair(dir: string, slot: Slot, pair: KeyPairPem): Promise<{ keyFile: string; certFile: string }> {
  // A new keys directory is private (an existing one keeps its mode): only the service reads the key.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, SLOT_FILES[slot].key);
  const certFile = join(dir, SLOT_FILES[slot].cert);
  await writeFileAtomic(keyFile, pair.keyPem, 0o600);
  await writeFileAtomic(certFile, pair.certPem, 0o644);
  return { keyFile, certFile };
}

export async function readPair(dir: string, slot: Slot): Promise<KeyPairPem> {
  const [keyPem, certPem] = await Promise.all([readFile(join(dir, SLOT_FILES[slot].key), 'utf8'), readFile(join(dir, SLOT_FILES[slot].cert), 'utf8')]);
  return { keyPem, certPem };
}

/**
 * A directory from before staged rotation has token.key and token.crt but no bundle.pem: the
 * bundle is written once, so the registry can be pointed at it before the first rotation.
 * False when there was one already.
 */
export async function ensureBundle(dir: string): Promise<boolean> {
  try {
    await access(join(dir, BUNDLE_FILE));
    return false;
  } catch {
    await writeBundle(dir);
    return true;
  }
}
