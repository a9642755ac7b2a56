import type { X509Certificate } from 'node:crypto';
import { exportJWK } from 'jose';
import { algorithmFor } from './algorithms.js';
import { libtrustKeyId } from './kid.js';
import type { SigningKey } from './load.js';

/** Certificates the registry should trust: the signing chain plus extra (rotated) ones, deduplicated. */
export function bundleCertificates(key: SigningKey, extra: readonly X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  const out: X509Certificate[] = [];
  for (const cert of [...key.chain, ...extra]) {
    if (seen.has(cert.fingerprint256)) continue;
    seen.add(cert.fingerprint256);
    out.push(cert);
  }
  return out;
}

export function bundlePem(certs: readonly X509Certificate[]): string {
  return `${certs.map((c) => c.toString().trim()).join('\n')}\n`;
}

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  [k: string]: unknown;
}

/** The public keys of the bundle with the kids tokens carry, for registry 3.x's `jwks` option. */
export async function jwksFor(certs: readonly X509Certificate[]): Promise<{ keys: PublicJwk[] }> {
  const keys = await Promise.all(
    certs
      // A CA that issued another bundle cert never signs tokens itself.
      .filter((c) => !isIssuerOfAnother(c, certs))
      .map(async (c) => {
        const jwk = await exportJWK(c.publicKey);
        return { ...jwk, kty: jwk.kty as string, kid: libtrustKeyId(c.publicKey), alg: algorithmFor(c.publicKey), use: 'sig' as const };
      }),
  );
  return { keys };
}

function isIssuerOfAnother(cert: X509Certificate, all: readonly X509Certificate[]): boolean {
  return all.some((other) => other !== cert && other.checkIssued(cert));
}
