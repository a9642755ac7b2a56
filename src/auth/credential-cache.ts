import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface CredentialCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** Tests freeze time; lru-cache reads it through this. */
  now?: () => number;
}

/**
 * Remembers recent successful credential checks (a bcrypt verify, a directory bind) so the
 * several token requests of one push pay for one. Keys are HMACs of the parts under a
 * per-process key, so the cache never holds a password; the least recently used entry goes
 * first when it is full, and an entry lives at most `ttlMs`.
 */
export class CredentialCache<V extends {}> {
  readonly #key = randomBytes(32);
  readonly #entries: LRUCache<string, V> | undefined;

  constructor(opts: CredentialCacheOptions) {
    if (opts.ttlMs <= 0 || opts.maxEntries <= 0) return;
    const now = opts.now ?? Date.now;
    this.#entries = new LRUCache<string, V>({
      max: opts.maxEntries,
      ttl: opts.ttlMs,
      // lru-cache reads performance.now() by default, which vi.setSystemTime does not move.
      perf: { now },
      // 0: compare against the clock on every read; the default caches "now" for a tick.
      ttlResolution: 0,
    });
  }

  get enabled(): boolean {
    return this.#entries !== undefined;
  }

  keyFor(...parts: string[]): string {
    const mac = createHmac('sha256', this.#key);
    for (const p of parts) mac.update(p).update('\u0000');
    return mac.digest('base64url');
  }

  get(key: string): V | undefined {
    return this.#entries?.get(key);
  }

  set(key: string, value: V): void {
    this.#entries?.set(key, value);
  }

  clear(): void {
    this.#entries?.clear();
  }
}
