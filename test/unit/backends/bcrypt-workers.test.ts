import { readdirSync, readFileSync } from 'node:fs';
import { hashSync } from '@node-rs/bcrypt';
import { afterAll, describe, expect, it } from 'vitest';
import { NicedBcryptWorkers } from '../../../src/backends/bcrypt/niced-workers.js';

/** The nice value of every thread of this process, from /proc. */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]));
}

describe('NicedBcryptWorkers', () => {
  const engine = new NicedBcryptWorkers(2);
  afterAll(() => engine.close());

  it('hashes and verifies as the library does, and answers false for a malformed hash', async () => {
    const hash = await engine.hash('correct horse', 4);
    expect(await engine.verify('correct horse', hash)).toBe(true);
    expect(await engine.verify('wrong horse', hash)).toBe(false);
    expect(await engine.verify('correct horse', hashSync('correct horse', 4))).toBe(true);
    expect(await engine.verify('x', 'not-a-bcrypt-hash')).toBe(false);
  });

  it('runs more checks than workers, each answered', async () => {
    const hash = await engine.hash('pw-0', 4);
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => engine.verify(`pw-${i % 3}`, hash)));
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it('runs on threads at the lowest CPU priority, leaving the main thread as it was', () => {
    const nice = threadNiceValues();
    expect(nice.filter((n) => n === 19).length).toBeGreaterThanOrEqual(2);
    const mainTid = readFileSync('/proc/self/stat', 'utf8').split(' ')[0];
    expect(Number(readFileSync(`/proc/self/task/${mainTid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16])).toBe(0);
  });
});
