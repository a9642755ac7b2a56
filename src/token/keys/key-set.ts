import type { X509Certificate } from 'node:crypto';
import { bundleCertificates } from './bundle.js';
import { ConfigError } from '../../domain/errors.js';
import { loadKeyPair, pairExists } from './load.js';
import type { SigningKey } from './load.js';

/** What a keys directory holds: the key that signs, and the ones published beside it. */
export interface KeySet {
  current: SigningKey;
  next?: SigningKey | undefined;
  previous?: SigningKey | undefined;
}

/** The key IDs of a set, as logs, the CLI and the replica registry show them. */
export interface KeyIds {
  signing: string;
  next: string | null;
  previous: string | null;
  /** Every kid the bundle and the JWKS publish, the signing one first. */
  published: string[];
}

/**
 * Reads every slot. Only the current key must match `token.algorithm`: a next key of another
 * algorithm is published at once, and refused by the service only when it is promoted.
 */
export async function loadKeySet(dir: string, expected?: 'ES256' | 'RS256'): Promise<KeySet> {
  if (!(await pairExists(dir, 'current'))) throw new ConfigError(`${dir} holds no signing key (token.key and token.crt)`);
  const [current, next, previous] = await Promise.all([loadKeyPair(dir, 'current', expected), loadOptional(dir, 'next'), loadOptional(dir, 'previous')]);
  return { current, next, previous };
}

async function loadOptional(dir: string, slot: 'next' | 'previous'): Promise<SigningKey | undefined> {
  return (await pairExists(dir, slot)) ? loadKeyPair(dir, slot) : undefined;
}

/** The certificates the registry must trust for this set, plus `extra` ones from the configuration. */
export function publishedCertificates(set: KeySet, extra: readonly X509Certificate[] = []): X509Certificate[] {
  return bundleCertificates(set.current, [...(set.next?.chain ?? []), ...(set.previous?.chain ?? []), ...extra]);
}

export function keyIds(set: KeySet): KeyIds {
  const published = [set.current.kid, set.next?.kid, set.previous?.kid].filter((k): k is string => k !== undefined);
  return { signing: set.current.kid, next: set.next?.kid ?? null, previous: set.previous?.kid ?? null, published: [...new Set(published)] };
}
