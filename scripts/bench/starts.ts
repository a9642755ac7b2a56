import { join } from 'node:path';
import type { Postgres } from '../../test/harness/postgres.js';
import type { Cleanup } from './cleanup.js';
import type { StartFigures } from './figures.js';
import { startPortcullis } from './portcullis-process.js';
import type { Progress } from './throughput.js';
import { median } from './stats.js';

/**
 * Times what an operator waits for, spawn to the first 200 on /readyz: a first start on a fresh
 * data dir (the embedded database and the signing key created), a restart on that data, and a
 * start on a fresh PostgreSQL database (its migrations applied). Each sample gets fresh dirs.
 */
export async function measureStarts(root: string, samples: number, postgres: Postgres, cleanup: Cleanup, progress: Progress): Promise<StartFigures> {
  const s: StartFigures['samples'] = { firstStartMs: [], restartMs: [], postgresStartMs: [] };
  for (let i = 1; i <= samples; i++) {
    const dir = join(root, `start-${i}`);
    const embedded = { dir, keysDir: join(dir, 'certs') };
    const first = await startPortcullis(embedded, cleanup);
    await first.daemon.stop();
    const again = await startPortcullis(embedded, cleanup);
    await again.daemon.stop();
    const pg = await startPortcullis({ dir: join(root, `start-pg-${i}`), keysDir: join(dir, 'certs'), databaseUrl: await postgres.createDatabase() }, cleanup);
    await pg.daemon.stop();
    s.firstStartMs.push(first.startMs);
    s.restartMs.push(again.startMs);
    s.postgresStartMs.push(pg.startMs);
    progress(`start ${i}/${samples}: first ${first.startMs.toFixed(0)} ms, restart ${again.startMs.toFixed(0)} ms, postgres ${pg.startMs.toFixed(0)} ms`);
  }
  return { firstStartMs: median(s.firstStartMs), restartMs: median(s.restartMs), postgresStartMs: median(s.postgresStartMs), samples: s };
}
