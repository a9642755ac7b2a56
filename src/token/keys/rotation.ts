import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../domain/errors.js';
import { BUNDLE_FILE, SLOT_FILES } from './files.js';
import { keyIds, loadKeySet, type KeyIds } from './key-set.js';
import { readPair, readRotation, writeBundle, writePair, writeRotation } from './rotation-files.js';

/** The registry accepts a token this long past its `exp` (distribution's clock-skew leeway). */
export const REGISTRY_LEEWAY_SECONDS = 60;

/** A keys directory as `keys status` and each rotation step report it. */
export interface RotationState extends KeyIds {
  dir: string;
  /** The file the registry's rootcertbundle must name. */
  bundle: string;
  rotatedAt: string | null;
  promotedAt: string | null;
  /** When `keys retire` stops refusing: every token the previous key signed has expired. */
  retireAfter: string | null;
}

/**
 * Staged rotation, each step a state the registry and every replica can live with:
 * rotate   publishes a next key, signs with the current one;
 * promote  signs with the next key, keeps publishing the old one as previous;
 * retire   stops publishing the previous key, once every token it signed has expired.
 * The registry is restarted on bundle.pem after each step; the service reloads by itself.
 */
export async function keyStatus(dir: string, ttlSeconds: number): Promise<RotationState> {
  const [set, record] = await Promise.all([loadKeySet(dir), readRotation(dir)]);
  const retireAfter = set.previous && record.promotedAt ? new Date(Date.parse(record.promotedAt) + retireWaitMs(ttlSeconds)).toISOString() : null;
  return { dir, bundle: join(dir, BUNDLE_FILE), ...keyIds(set), rotatedAt: record.rotatedAt ?? null, promotedAt: record.promotedAt ?? null, retireAfter };
}

/** A token's lifetime plus the registry's leeway: how long a promoted-away key must stay published. */
export function retireWaitMs(ttlSeconds: number): number {
  return (ttlSeconds + REGISTRY_LEEWAY_SECONDS) * 1000;
}

export async function rotate(dir: string, ttlSeconds: number, algorithm?: 'ES256' | 'RS256'): Promise<RotationState> {
  const set = await loadKeySet(dir);
  if (set.next) throw new ConfigError(`${dir} already holds a next key (${set.next.kid}): promote it first (portcullis keys promote)`);
  const alg = algorithm ?? (set.current.algorithm === 'RS256' ? 'RS256' : 'ES256');
  const { createKeyPair } = await import('./generate.js');
  await writePair(dir, 'next', await createKeyPair({ algorithm: alg }));
  await writeRotation(dir, { ...(await readRotation(dir)), rotatedAt: new Date().toISOString() });
  await writeBundle(dir);
  return keyStatus(dir, ttlSeconds);
}

export async function promote(dir: string, ttlSeconds: number): Promise<RotationState> {
  const set = await loadKeySet(dir);
  if (!set.next) throw new ConfigError(`${dir} holds no next key to promote: run portcullis keys rotate first`);
  if (set.previous) {
    throw new ConfigError(`${dir} still publishes a previous key (${set.previous.kid}): retire it first (portcullis keys retire)`);
  }
  // Each step leaves a set a reader can use: current+next, then current+next+previous (the same
  // key twice), then next as current; only between a key and its certificate is there a gap,
  // which the service's reload waits out.
  await writePair(dir, 'previous', await readPair(dir, 'current'));
  await writePair(dir, 'current', await readPair(dir, 'next'));
  await removePair(dir, 'next');
  await writeRotation(dir, { ...(await readRotation(dir)), promotedAt: new Date().toISOString() });
  await writeBundle(dir);
  return keyStatus(dir, ttlSeconds);
}

export interface RetireOptions {
  force?: boolean;
  now?: number;
}

/** The previous key, and why it may not be retired yet (undefined: it may). */
export async function retireRefusal(dir: string, ttlSeconds: number, now = Date.now()): Promise<string | undefined> {
  const state = await keyStatus(dir, ttlSeconds);
  if (!state.previous) throw new ConfigError(`${dir} holds no previous key to retire`);
  if (!state.retireAfter) {
    return `no promote time is recorded in ${join(dir, 'rotation.json')}, so tokens signed by ${state.previous} may still be valid`;
  }
  const left = Date.parse(state.retireAfter) - now;
  if (left <= 0) return undefined;
  return `tokens signed by ${state.previous} may be valid until ${state.retireAfter} (token.ttlSeconds ${ttlSeconds} s plus the registry's ${REGISTRY_LEEWAY_SECONDS} s leeway after the promote); ${Math.ceil(left / 1000)} s left`;
}

export async function retire(dir: string, ttlSeconds: number, opts: RetireOptions = {}): Promise<RotationState> {
  const refusal = await retireRefusal(dir, ttlSeconds, opts.now);
  if (refusal && !opts.force) throw new ConfigError(`${refusal}; pass --force to retire it anyway`);
  await removePair(dir, 'previous');
  const record = await readRotation(dir);
  delete record.promotedAt;
  await writeRotation(dir, record);
  await writeBundle(dir);
  return keyStatus(dir, ttlSeconds);
}

/** A reader that comes between the two unlinks sees half a pair, and tries again. */
async function removePair(dir: string, slot: 'next' | 'previous'): Promise<void> {
  await unlink(join(dir, SLOT_FILES[slot].cert));
  await unlink(join(dir, SLOT_FILES[slot].key));
}
