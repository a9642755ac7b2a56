import { LRUCache } from 'lru-cache';
import type { FailureCount, LoginFailuresRepository } from '../../domain/repositories.js';

/**
 * The throttle's counters in this process, for the embedded store (one process owns it). Bounded:
 * past `maxKeys` the least recently failed key is forgotten, so a flood of made-up usernames
 * cannot grow memory without limit.
 */
export class MemoryLoginFailures implements LoginFailuresRepository {
  readonly #counts: LRUCache<string, FailureCount>;

  constructor(maxKeys = 100_000) {
    this.#counts = new LRUCache({ max: maxKeys });
  }

  async get(keys: readonly string[], forgetBefore: number): Promise<Map<string, FailureCount>> {
    const out = new Map<string, FailureCount>();
    for (const key of keys) {
      const count = this.#counts.peek(key);
      if (count && count.lastFailureAt >= forgetBefore) out.set(key, count);
    }
    return out;
  }

  async increment(keys: readonly string[], now: number, forgetBefore: number): Promise<Map<string, FailureCount>> {
    const out = new Map<string, FailureCount>();
    for (const key of keys) {
      const previous = this.#counts.get(key);
      const failures = previous && previous.lastFailureAt >= forgetBefore ? previous.failures + 1 : 1;
      const count = { failures, lastFailureAt: now };
      this.#counts.set(key, count);
      out.set(key, count);
    }
    return out;
  }

  async reset(key: string): Promise<void> {
    this.#counts.delete(key);
  }

  async deleteOlderThan(forgetBefore: number): Promise<number> {
    let deleted = 0;
    for (const [key, count] of this.#counts.entries()) {
      if (count.lastFailureAt < forgetBefore && this.#counts.delete(key)) deleted += 1;
    }
    return deleted;
  }
}
