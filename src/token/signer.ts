import { SignJWT, type JWTHeaderParameters } from 'jose';
import type { RegistryClaims } from './claims.js';
import type { SigningKey } from './keys/load.js';

export interface HeaderOptions {
  /** Registry 2.8 and 3.x both take the key from `x5c` first. */
  x5c: boolean;
  /** The libtrust key ID: what 2.8 looks a bundle key up by when there is no x5c. */
  kid: boolean;
}

/** Signs claim sets with one key; the JWS header is computed once. */
export class TokenSigner {
  readonly #key: SigningKey;
  readonly #header: JWTHeaderParameters;

  constructor(key: SigningKey, opts: HeaderOptions) {
    this.#key = key;
    this.#header = { alg: key.algorithm, typ: 'JWT' };
    if (opts.x5c) this.#header.x5c = key.chain.map((c) => c.raw.toString('base64'));
    if (opts.kid) this.#header.kid = key.kid;
  }

  get kid(): string {
    return this.#key.kid;
  }

  sign(claims: RegistryClaims): Promise<string> {
    return new SignJWT({ ...claims }).setProtectedHeader(this.#header).sign(this.#key.privateKey);
  }
}
