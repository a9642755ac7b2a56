import type { X509Certificate } from 'node:crypto';
import type { Logger } from '../../domain/logger.js';
import type { RegistryClaims } from '../claims.js';
import { TokenSigner, type HeaderOptions } from '../signer.js';
import { bundlePem, jwksFor, type PublicJwk } from './bundle.js';
import { loadKeySet, publishedCertificates } from './key-set.js';
import { libtrustKeyId } from './kid.js';
import { loadCertificateFiles } from './load.js';

export interface KeyRingOptions {
  dir: string;
  algorithm: 'ES256' | 'RS256';
  header: HeaderOptions;
  /** token.extraCertificates: PEM files published beside the keys directory's certificates. */
  extraCertificateFiles: readonly string[];
  logger?: Logger | undefined;
  /** Attempts a reload makes before giving up on a directory in the middle of a change. */
  attempts?: number;
  retryDelayMs?: number;
}

/** What the service publishes and signs with at one moment. */
export interface PublishedKeys {
  signingKid: string;
  /** The kids of every published certificate, the signing one first. */
  publishedKids: string[];
  certificates: X509Certificate[];
  pem: string;
  jwks: { keys: PublicJwk[] };
}

interface Generation extends PublishedKeys {
  signer: TokenSigner;
}

/**
 * The keys the running service signs with and publishes, replaced whole on reload: a request
 * signs with one generation or the next, never with a mix, and a directory that cannot be read
 * (half a pair, a bad PEM, a promote caught between two renames) keeps the generation in use.
 */
export class KeyRing {
  #current: Generation;
  #reloading: Promise<boolean> | undefined;
  #again = false;
  readonly #listeners: ((keys: PublishedKeys) => void)[] = [];

  private constructor(
    private readonly opts: KeyRingOptions,
    first: Generation,
  ) {
    this.#current = first;
  }

  static async open(opts: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(opts, await loadGeneration(opts));
    opts.logger?.info(describe(ring.#current), 'token keys loaded');
    return ring;
  }

  sign(claims: RegistryClaims): Promise<string> {
    return this.#current.signer.sign(claims);
  }

  get published(): PublishedKeys {
    return this.#current;
  }

  /** Called with the new keys after every reload that changed them. */
  onChange(listener: (keys: PublishedKeys) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Reads the directory again; true when the keys changed. Never throws: a failure is logged
   * and the keys in use stay. Calls while one runs are folded into one more run after it.
   */
  reload(trigger: string): Promise<boolean> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#reload(trigger).finally(() => {
      this.#reloading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.reload(trigger);
      }
    });
    return this.#reloading;
  }

  async #reload(trigger: string): Promise<boolean> {
    const { attempts = 4, retryDelayMs = 150, logger } = this.opts;
    for (let attempt = 1; ; attempt++) {
      try {
        const next = await loadGeneration(this.opts);
        const changed = fingerprintOf(next) !== fingerprintOf(this.#current);
        if (!changed) {
          logger?.info({ trigger, ...describe(next) }, 'token keys reloaded: unchanged');
          return false;
        }
        this.#current = next;
        logger?.info({ trigger, ...describe(next) }, 'token keys reloaded');
        for (const listener of this.#listeners) listener(next);
        return true;
      } catch (err) {
        if (attempt < attempts) {
          await new Promise((r) => setTimeout(r, retryDelayMs));
          continue;
        }
        logger?.error(
          { trigger, dir: this.opts.dir, reason: (err as Error).message, ...describe(this.#current) },
          'the keys directory cannot be used; still signing and publishing the keys loaded before',
        );
        return false;
      }
    }
  }
}

async function loadGeneration(opts: KeyRingOptions): Promise<Generation> {
  const set = await loadKeySet(opts.dir, opts.algorithm);
  const certificates = publishedCertificates(set, await loadCertificateFiles(opts.extraCertificateFiles));
  const publishedKids = [...new Set([set.current.kid, ...certificates.map((c) => libtrustKeyId(c.publicKey))])];
  return {
    signingKid: set.current.kid,
    publishedKids,
    certificates,
    pem: bundlePem(certificates),
    jwks: await jwksFor(certificates),
    signer: new TokenSigner(set.current, opts.header),
  };
}

function fingerprintOf(g: Generation): string {
  return `${g.signingKid}|${g.certificates.map((c) => c.fingerprint256).join(',')}`;
}

function describe(keys: PublishedKeys): { signing: string; published: string[] } {
  return { signing: keys.signingKid, published: keys.publishedKids };
}
