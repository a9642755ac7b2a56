import type { MemoryFigures } from './figures.js';
import type { LoadResult } from './load.js';
import { memoryOf } from './portcullis-process.js';
import type { Target } from './target.js';
import { hitLoad } from './throughput.js';

/** Cache hits for `seconds`, then the process's resident memory; the load is returned for its errors. */
export async function measureMemory(target: Target, connections: number, seconds: number): Promise<{ memory: MemoryFigures; load: LoadResult }> {
  if (target.pid === undefined) throw new Error(`${target.name} has no pid`);
  const load = await hitLoad(target, connections, seconds);
  return { memory: { loadSeconds: seconds, ...(await memoryOf(target.pid)) }, load };
}
