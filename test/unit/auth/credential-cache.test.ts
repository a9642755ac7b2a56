import { describe, expect, it } from 'vitest';
import { CredentialCache } from '../../../src/auth/credential-cache.js';

function cache(ttlMs = 1000, maxEntries = 10) {
  const clock = { now: 1_000_000 };
  const inner = new CredentialCache<true>({ ttlMs, maxEntries, now: () => clock.now });
  // The cache's own API in the words the cases read best in.
  const c = {
    enabled: inner.enabled,
    keyFor: inner.keyFor.bind(inner),
    clear: () => inner.clear(),
    add: (k: string) => inner.set(k, true),
    has: (k: string) => inner.get(k) === true,
  };
  return { clock, c };
}

describe('CredentialCache', () => {
  it('remembers a key after add, and only that key', () => {
    const { c } = cache();
    const key = c.keyFor('$2b$04$hash', 'pw');
    expect(c.has(key)).toBe(false);
    c.add(key);
    expect(c.has(key)).toBe(true);
    expect(c.has(c.keyFor('$2b$04$hash', 'other'))).toBe(false);
  });

  it.each([
    [0, true],
    [999, true],
    [1000, true],
    [1001, false],
    [5000, false],
  ])('after %i ms of a 1000 ms TTL: hit = %s', (elapsed, hit) => {
    const { c, clock } = cache(1000);
    c.add('k');
    clock.now += elapsed;
    expect(c.has('k')).toBe(hit);
  });

  it('re-adding renews the TTL', () => {
    const { c, clock } = cache(1000);
    c.add('k');
    clock.now += 600;
    c.add('k');
    clock.now += 600;
    expect(c.has('k')).toBe(true);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const { c } = cache(1000, 3);
    for (const k of ['a', 'b', 'c']) c.add(k);
    expect(c.has('a')).toBe(true);
    c.add('d');
    expect(c.has('b')).toBe(false);
    expect(['a', 'c', 'd'].map((k) => c.has(k))).toEqual([true, true, true]);
  });

  it('a hit does not extend the TTL', () => {
    const { c, clock } = cache(1000, 3);
    c.add('k');
    clock.now += 600;
    expect(c.has('k')).toBe(true);
    clock.now += 401;
    expect(c.has('k')).toBe(false);
  });

  it('re-adding an entry makes it the most recent', () => {
    const { c } = cache(1000, 2);
    c.add('a');
    c.add('b');
    c.add('a');
    c.add('c');
    expect(['a', 'b', 'c'].filter((k) => c.has(k))).toEqual(['a', 'c']);
  });

  it.each([
    ['ttl 0', 0, 10],
    ['size 0', 1000, 0],
  ])('is disabled with %s', (_, ttl, size) => {
    const { c } = cache(ttl, size);
    expect(c.enabled).toBe(false);
    c.add('k');
    expect(c.has('k')).toBe(false);
  });

  it('clear forgets everything', () => {
    const { c } = cache();
    c.add('k');
    c.clear();
    expect(c.has('k')).toBe(false);
  });

  it.each<[string, string[], string[]]>([
    ['password differs', ['hash', 'pw1'], ['hash', 'pw2']],
    ['hash differs', ['hash1', 'pw'], ['hash2', 'pw']],
    ['boundary moves', ['ab', 'c'], ['a', 'bc']],
    ['part count differs', ['a', 'b'], ['a', 'b', '']],
    ['order differs', ['a', 'b'], ['b', 'a']],
  ])('keys differ when %s', (_, x, y) => {
    const { c } = cache();
    expect(c.keyFor(...x)).toBe(c.keyFor(...x));
    expect(c.keyFor(...x)).not.toBe(c.keyFor(...y));
  });

  it('keys are per instance and do not contain the password', () => {
    const a = cache().c.keyFor('hash', 'hunter2-password');
    expect(cache().c.keyFor('hash', 'hunter2-password')).not.toBe(a);
    expect(a).not.toContain('hunter2');
  });
});
