import { createHmac, randomBytes } from 'node:crypto';

/**
 * Remembers successful (stored hash, presented password) checks so repeated token requests skip
 * bcrypt. Keys are HMACs under a per-process key, so the cache never holds a password; keying on
 * the stored hash means a password change on any replica invalidates the entry.
 */
export class VerifyCache {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, number>();

  constructor(private readonly ttlMs: number, private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && this.maxEntries > 0;
  }

  keyFor(...parts: string[]): string {
    const mac = createHmac('sha256', this.#key);
    for (const p of parts) mac.update(p).update('\u0000');
    return mac.digest('base64url');
  }

  has(key: string): boolean {
    const expires = this.#entries.get(key);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.#entries.delete(key);
      return false;
    }
    // Re-insert so the entry counts as recently used: eviction drops the least recently used.
    this.#entries.delete(key);
    this.#entries.set(key, expires);
    return true;
  }

  add(key: string): void {
    if (!this.enabled) return;
    this.#entries.delete(key);
    this.#entries.set(key, this.now() + this.ttlMs);
    // Map iteration order is insertion order: the first key is the oldest.
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  clear(): void {
    this.#entries.clear();
  }
}
