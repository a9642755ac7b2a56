import { createHmac, randomBytes } from 'node:crypto';

/**
 * Remembers recent successful directory logins so the several token requests of one docker push
 * bind once. Like VerifyCache, keys are HMACs of (username, password) under a per-process key,
 * so the cache never holds a password; the value is only what the directory said (name and
 * groups). A password changed in the directory is honoured once the entry expires.
 */
export class LoginCache<V> {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(private readonly ttlMs: number, private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  keyFor(username: string, password: string): string {
    return createHmac('sha256', this.#key).update(username).update('\u0000').update(password).digest('base64url');
  }

  get(key: string): V | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expires > this.now()) return hit.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.now() + this.ttlMs });
    // Map iteration order is insertion order: the first key is the oldest.
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
