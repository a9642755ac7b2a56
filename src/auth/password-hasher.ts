import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import type { BcryptEngine, BeforeCheck } from '../domain/authn.js';
import type { Secret } from '../domain/secret.js';
import { CheckQueue } from './check-queue.js';
import { CredentialCache } from './credential-cache.js';

export interface HasherOptions {
  cost: number;
  cacheTtlSeconds: number;
  cacheSize: number;
  /** bcrypt runs at once, at most (the rest of the CPU stays free for cached logins). */
  concurrency: number;
  /** Checks that may wait for a slot; more are refused with OverloadedError. */
  maxWaiting: number;
  /** Where bcrypt runs; default the library's async calls on libuv's pool. */
  engine?: BcryptEngine;
  /** Told the result of every check, for metrics. */
  onCheck?: (result: PasswordCheck) => void;
}

/** 'unusable': refused without bcrypt (over 72 bytes, or not valid Unicode). */
const LIBUV_BCRYPT: BcryptEngine = {
  hash: (password, cost) => bcryptHash(password, cost),
  verify: (password, hash) => bcryptVerify(password, hash).catch(() => false),
};

export type PasswordCheck = 'cached' | 'valid' | 'invalid' | 'no-user' | 'unusable';

/**
 * bcrypt on the libuv thread pool (off the event loop), memoised for successful checks. The
 * cache key includes the stored hash, so a password change on any replica invalidates it.
 */
export class PasswordHasher {
  readonly #cost: number;
  readonly #cache: CredentialCache<true>;
  readonly #onCheck: (result: PasswordCheck) => void;
  readonly #queue: CheckQueue;
  readonly #engine: BcryptEngine;
  #dummy: Promise<string> | undefined;

  constructor(opts: HasherOptions) {
    this.#cost = opts.cost;
    this.#cache = new CredentialCache({ ttlMs: opts.cacheTtlSeconds * 1000, maxEntries: opts.cacheSize });
    this.#onCheck = opts.onCheck ?? (() => undefined);
    this.#queue = new CheckQueue(opts.concurrency, opts.maxWaiting);
    this.#engine = opts.engine ?? LIBUV_BCRYPT;
  }

  /** Setting a password is an admin's deliberate act: it waits for a slot, never refused. */
  hash(password: Secret): Promise<string> {
    return this.#queue.run(() => this.#engine.hash(password.reveal(), this.#cost), false);
  }

  /**
   * Checks a password against a stored hash. With no hash (unknown user) it still spends one
   * bcrypt of the configured cost, so response time does not tell which users exist.
   */
  async verify(password: Secret, storedHash: string | null, beforeCheck?: BeforeCheck): Promise<boolean> {
    if (!bcryptCanHold(password.reveal())) {
      // No stored password can match (they are refused when set), and bcrypt would compare only
      // the first 72 bytes, or U+FFFD for a lone surrogate: refused without spending a bcrypt.
      this.#onCheck('unusable');
      return false;
    }
    if (storedHash === null) {
      await beforeCheck?.();
      const dummy = await this.dummyHash();
      await this.#queue.run(() => this.#engine.verify(password.reveal(), dummy));
      this.#onCheck('no-user');
      return false;
    }
    const key = this.#cache.keyFor(storedHash, password.reveal());
    if (this.#cache.get(key)) {
      this.#onCheck('cached');
      return true;
    }
    await beforeCheck?.();
    const ok = await this.#queue.run(() => this.#engine.verify(password.reveal(), storedHash));
    if (ok) this.#cache.set(key, true);
    this.#onCheck(ok ? 'valid' : 'invalid');
    return ok;
  }

  private dummyHash(): Promise<string> {
    this.#dummy ??= this.#engine.hash('portcullis-timing-equaliser', this.#cost);
    return this.#dummy;
  }
}

/** bcrypt reads at most 72 bytes of UTF-8; a lone surrogate has no UTF-8 of its own. */
export const MAX_PASSWORD_BYTES = 72;

function bcryptCanHold(password: string): boolean {
  return password.isWellFormed() && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}
