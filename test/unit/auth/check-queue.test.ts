import { describe, expect, it } from 'vitest';
import { CheckQueue } from '../../../src/auth/check-queue.js';

/** A task the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('CheckQueue', () => {
  it('runs at most `concurrency` tasks at once and starts the next when one ends', async () => {
    const q = new CheckQueue(2, 10);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      q.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([q.running, q.waiting]).toEqual([2, 1]);
    gates[0]?.open();
    expect(await runs[0]).toBe(0);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[1]?.open();
    gates[2]?.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect([q.running, q.waiting]).toEqual([0, 0]);
  });

  it('refuses at once with OVERLOADED when the waiting line is full', async () => {
    const q = new CheckQueue(1, 1);
    const g = gate();
    const first = q.run(() => g.promise);
    const second = q.run(async () => 'second');
    await expect(q.run(async () => 'third')).rejects.toMatchObject({ code: 'OVERLOADED' });
    g.open();
    await first;
    expect(await second).toBe('second');
  });

  it('lets a task that may not be refused wait beyond the line', async () => {
    const q = new CheckQueue(1, 0);
    const g = gate();
    const first = q.run(() => g.promise);
    const admin = q.run(async () => 'hashed', false);
    g.open();
    await first;
    expect(await admin).toBe('hashed');
  });

  it('frees the slot when a task fails', async () => {
    const q = new CheckQueue(1, 0);
    await expect(
      q.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await q.run(async () => 'next')).toBe('next');
  });
});
