import type { SpawnOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pollUntil, startDaemon, type Daemon } from '../../test/harness/proc.js';
import type { Cleanup } from './cleanup.js';

export interface Started {
  daemon: Daemon;
  /** Wall time from spawn to the first 200 from the ready URL. */
  startMs: number;
}

/** Often enough that the poll adds little to a start time of a few hundred milliseconds. */
const POLL_MS = 20;

const answers200 = (url: string) => () =>
  fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => {
      void r.body?.cancel();
      return r.status === 200;
    },
    () => false,
  );

/**
 * Spawns a long-running process and times it until `readyUrl` answers 200. The process is
 * watched by `cleanup` from the spawn on, and stopped (its output attached to the error) when
 * it does not become ready.
 */
export async function startTimed(what: string, cmd: string, args: string[], opts: SpawnOptions, readyUrl: string, cleanup: Cleanup): Promise<Started> {
  const t0 = performance.now();
  const daemon = startDaemon(cmd, args, { ...opts, keepBytes: 200_000 });
  cleanup.watch(daemon.child);
  try {
    await pollUntil(answers200(readyUrl), daemon.exited, what, 60_000, POLL_MS);
  } catch (err) {
    await daemon.stop();
    throw new Error(`${(err as Error).message}\n${daemon.output()}`);
  }
  return { daemon, startMs: performance.now() - t0 };
}
