import type { KeyObject } from 'node:crypto';

/** The algorithms both registry 2.8 and 3.x accept for the key types we issue. */
export type SigningAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256';

/** Derives the JWS algorithm from the key itself, so a key and its alg can never disagree. */
export function algorithmFor(key: KeyObject): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
    throw new TypeError(`unsupported EC curve ${curve ?? 'unknown'}: registry accepts P-256, P-384, P-521`);
  }
  throw new TypeError(`unsupported key type ${type ?? 'unknown'}: registry accepts RSA and EC keys`);
}
