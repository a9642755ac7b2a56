import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../domain/errors.js';

const LOCK_FILE = 'portcullis.lock';

interface Holder {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux): tells a reused pid apart. */
  startTicks?: string;
  since: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

/** Field 22 of /proc/PID/stat, when there is a /proc to read. */
function startTicksOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const ticks = startTicksOf(holder.pid);
  return holder.startTicks === undefined || ticks === undefined || ticks === holder.startTicks;
}

/**
 * Claims the embedded data directory for this process's life. PGlite is one process's
 * database: a second process on the same directory would start, report ready, and lose its
 * writes (or the first's) on restart. A lock left by a process that died is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), startTicks: startTicksOf(process.pid), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(JSON.stringify(me));
      await file.close();
      return {
        release: async () => {
          const current = await readFile(path, 'utf8').catch(() => '');
          if (current === JSON.stringify(me)) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as Holder;
    } catch {
      // Unreadable or half-written: a crash while claiming; nobody holds it.
    }
    if (holder && alive(holder)) {
      throw new ConfigError(
        `the embedded data directory ${dataDir} is in use by another Portcullis process (pid ${holder.pid} on ${holder.host}, since ${holder.since}): ` +
          'stop that one first, or give this one its own PORTCULLIS_DATA_DIR (replicas need PostgreSQL)',
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new ConfigError(`could not claim the embedded data directory ${dataDir}: its lock file ${path} keeps changing`);
}
