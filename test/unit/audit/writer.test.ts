import { afterEach, describe, expect, it } from 'vitest';
import { AuditWriter } from '../../../src/audit/writer.js';
import type { AuditSegment, NewAuditEntry } from '../../../src/domain/audit.js';
import { decodeSegment } from '../../../src/domain/audit-segment.js';

const entry = (n: number): NewAuditEntry => ({
  kind: 'change',
  at: new Date(0),
  subject: `s${n}`,
  address: null,
  projects: [],
  repositories: [],
  outcome: 'ok',
  detail: { action: 'test', target: {}, fields: {}, status: 200 },
});

/** A store whose writes can be made to fail, remembering every batch it took. */
function fakeStore() {
  const batches: string[][] = [];
  const store = {
    down: false,
    batches,
    append: async (segment: AuditSegment) => {
      if (store.down) throw new Error('store is down');
      batches.push(decodeSegment(segment.body).map((e) => e.subject ?? ''));
    },
  };
  return store;
}

function logger() {
  const lines: string[] = [];
  const log = (_: object, msg?: string) => void lines.push(msg ?? '');
  return { lines, debug: log, info: log, warn: log, error: log };
}

describe('AuditWriter', () => {
  const writers: AuditWriter[] = [];
  const make = (store: ReturnType<typeof fakeStore>, opts: Partial<ConstructorParameters<typeof AuditWriter>[1]> = {}, hooks = {}) => {
    const w = new AuditWriter(store, { flushEveryMs: 60_000, batchSize: 100, maxEntries: 1_000, ...opts }, hooks);
    writers.push(w);
    return w;
  };
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.close();
  });

  it('record() never writes by itself: one batch per flush, in order', async () => {
    const store = fakeStore();
    const w = make(store);
    for (let i = 0; i < 3; i++) w.record(entry(i));
    expect(store.batches).toEqual([]);
    await w.flush();
    expect(store.batches).toEqual([['s0', 's1', 's2']]);
  });

  it('a full batch goes out on the next turn of the event loop', async () => {
    const store = fakeStore();
    const w = make(store, { batchSize: 2 });
    w.record(entry(0));
    w.record(entry(1));
    expect(store.batches).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await w.flush();
    expect(store.batches).toEqual([['s0', 's1']]);
  });

  it('a flush writes what was recorded before it, not a trickle of what arrives while it writes', async () => {
    const store = fakeStore();
    let release = () => {};
    const slow = { append: (segment: AuditSegment) => new Promise<void>((r) => (release = () => r(void store.append(segment)))) };
    const w = new AuditWriter(slow, { flushEveryMs: 60_000, batchSize: 100, maxEntries: 1_000 });
    writers.push(w);
    w.record(entry(0));
    const flushed = w.flush();
    w.record(entry(1));
    w.record(entry(2));
    release();
    await flushed;
    expect(store.batches).toEqual([['s0']]);
    expect(w.buffered).toBe(2);
    const again = w.flush();
    await new Promise((r) => setImmediate(r));
    release();
    await again;
    expect(store.batches).toEqual([['s0'], ['s1', 's2']]);
  });

  it('keeps entries while the store fails, logs that once, and writes them in order when it is back', async () => {
    const store = fakeStore();
    const log = logger();
    const w = make(store, {}, { logger: log });
    store.down = true;
    w.record(entry(0));
    await w.flush();
    w.record(entry(1));
    await w.flush();
    expect(w.buffered).toBe(2);
    expect(log.lines.filter((l) => l.includes('cannot be written now'))).toHaveLength(1);
    store.down = false;
    w.record(entry(2));
    await w.flush();
    // The refused segment is retried as it was; what came after it waited in one new segment,
    // not one per retry.
    expect(store.batches).toEqual([['s0'], ['s1', 's2']]);
    expect(w.buffered).toBe(0);
  });

  it('drops what does not fit, counts every drop, and logs the episode at its start and end only', async () => {
    const store = fakeStore();
    const log = logger();
    const drops: number[] = [];
    const w = make(store, { maxEntries: 2 }, { logger: log, onDrop: (n: number) => drops.push(n) });
    store.down = true;
    for (let i = 0; i < 5; i++) w.record(entry(i));
    await w.flush();
    expect(w.dropped).toBe(3);
    expect(drops).toEqual([1, 1, 1]);
    expect(log.lines.filter((l) => l.includes('buffer full'))).toHaveLength(1);
    store.down = false;
    await w.flush();
    expect(store.batches).toEqual([['s0', 's1']]);
    expect(log.lines.filter((l) => l.includes('were dropped'))).toHaveLength(1);
  });

  it('repeats only the last entry recorded, in the open segment, and tells the caller otherwise', async () => {
    const store = fakeStore();
    const w = make(store, { batchSize: 3 });
    const first = w.record(entry(0));
    expect(first).toBeGreaterThan(0);
    const second = w.repeat(first, new Date(1), []);
    expect(second).toBe(first + 1);
    expect(w.repeat(first, new Date(2), [])).toBe(0);
    w.record(entry(3));
    expect(w.repeat(second, new Date(2), [])).toBe(0);
    // That filled the segment: a repeat cannot reach into a sealed one.
    const last = w.record(entry(4));
    await w.flush();
    expect(w.repeat(last, new Date(3), [])).toBe(0);
    expect(store.batches).toEqual([['s0', 's0', 's3'], ['s4']]);
  });
});
