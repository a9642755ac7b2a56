/**
 * Portcullis exactly as users run it: `node bin/portcullis.js serve` in its own process, set up
 * through PORTCULLIS_* variables, on a free loopback port.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/harness/ports.js';
import { runOk, type Daemon } from '../../test/harness/proc.js';
import type { Cleanup } from './cleanup.js';
import { startTimed } from './timed-start.js';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = resolve(REPO, 'bin/portcullis.js');

export const ADMIN = { username: 'admin', password: 'bench-admin-password' };

export interface PortcullisSettings {
  /** Working directory; the embedded store lives in its data/. Created when missing. */
  dir: string;
  keysDir: string;
  /** Unset: the embedded store in dataDir. */
  databaseUrl?: string;
  /** YAML for --config, for options that have no environment variable. */
  configYaml?: string;
}

export interface PortcullisProcess {
  url: string;
  pid: number | undefined;
  /** Spawn to the first 200 on /readyz. */
  startMs: number;
  daemon: Daemon;
}

export async function assertBuilt(): Promise<void> {
  await access(join(REPO, 'dist/cli/main.js')).catch(() => {
    throw new Error('dist/ is missing: run `npm run build` (`npm run bench` does)');
  });
}

/** Starts one Portcullis and waits for /readyz; the caller stops it (and `cleanup` if it fails to). */
export async function startPortcullis(settings: PortcullisSettings, cleanup: Cleanup): Promise<PortcullisProcess> {
  await mkdir(settings.dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
    PORTCULLIS_DATA_DIR: join(settings.dir, 'data'),
    PORTCULLIS_KEYS_DIR: settings.keysDir,
    PORTCULLIS_ADMIN_PASSWORD: ADMIN.password,
    PORTCULLIS_LOG_LEVEL: 'warn',
    ...(settings.databaseUrl ? { PORTCULLIS_DATABASE_URL: settings.databaseUrl } : {}),
  };
  const what = settings.databaseUrl ? 'portcullis (postgres)' : 'portcullis (embedded)';
  const args = [BIN, 'serve'];
  if (settings.configYaml) {
    await writeFile(join(settings.dir, 'portcullis.yaml'), settings.configYaml);
    args.push('--config', join(settings.dir, 'portcullis.yaml'));
  }
  const { daemon, startMs } = await startTimed(what, process.execPath, args, { env, cwd: settings.dir }, `${url}/readyz`, cleanup);
  return { url, pid: daemon.child.pid, startMs, daemon };
}

/** Resident and peak resident memory of a process, in MB, from /proc. */
export async function memoryOf(pid: number): Promise<{ rssMb: number; peakRssMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) / 1024;
  };
  return { rssMb: kb('VmRSS'), peakRssMb: kb('VmHWM') };
}

/** A signing key as `portcullis keys generate` writes it, shared by the ceiling and the stores. */
export async function generateKeys(dir: string): Promise<void> {
  await runOk(process.execPath, [BIN, 'keys', 'generate', '--dir', dir], { timeoutMs: 30_000 });
}
