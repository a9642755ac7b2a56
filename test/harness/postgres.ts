/**
 * A real PostgreSQL (Debian `postgresql`, server 15) for tests: its own cluster in a temp dir,
 * on a free loopback port, socket in the temp dir, fsync off. initdb refuses to run as root, so
 * as root the cluster belongs to the `postgres` user and its tools run through `runuser`.
 * Nothing touches system paths; `destroy()` stops the server and removes the directory.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';
import { requireBinary, run, runOk, tempDir } from './proc.js';

/** Where Debian puts the server binaries; PORTCULLIS_PG_BIN points elsewhere. */
export const PG_BIN = process.env.PORTCULLIS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface Postgres {
  port: number;
  /** Connection URL of a database (default `postgres`) as the superuser, trust auth. */
  url(dbName?: string): string;
  /** Creates a database (a fresh random name when none is given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown), keeping data and port: an outage. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data after `stop()`: the recovery. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

const SUPERUSER = 'postgres';

/** As root, PostgreSQL tools must run as the unprivileged `postgres` user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', SUPERUSER, '--', cmd, ...args]] : [cmd, args];
}

async function pgUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const fields = passwd
    .split('\n')
    .find((l) => l.startsWith(`${SUPERUSER}:`))
    ?.split(':');
  if (!fields) throw new Error(`no "${SUPERUSER}" user: install the Debian postgresql package`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

export async function startPostgres(): Promise<Postgres> {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) await requireBinary(join(PG_BIN, tool));
  const root = process.getuid?.() === 0;
  if (root) await requireBinary('runuser');
  const tmp = await tempDir('pg');
  if (root) {
    const { uid, gid } = await pgUser();
    await chown(tmp.path, uid, gid);
  }
  const dataDir = join(tmp.path, 'data');
  const logFile = join(tmp.path, 'server.log');
  const pgTool = async (tool: string, args: string[]) => {
    const [cmd, argv] = asPostgres(join(PG_BIN, tool), args);
    // cwd: the postgres user may not be allowed into the caller's working directory.
    return run(cmd, argv, { cwd: tmp.path, timeoutMs: 60_000 });
  };
  // Registered before anything starts, so a crashed test worker still leaves nothing behind.
  const cleanupOnExit = () => {
    const [cmd, argv] = asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
    spawnSync(cmd, argv, { cwd: tmp.path, stdio: 'ignore' });
    rmSync(tmp.path, { recursive: true, force: true });
  };
  process.once('exit', cleanupOnExit);

  let port = 0;
  const startServer = async (): Promise<boolean> => {
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${tmp.path} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    const res = await pgTool('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', opts, 'start']);
    if (res.code === 0) return true;
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (/address already in use|could not bind/i.test(log)) return false;
    throw new Error(`pg_ctl start failed (${res.code}):\n${res.stdout}${res.stderr}\n${log.slice(-4000)}`);
  };
  const stopServer = async (mode: 'fast' | 'immediate') => {
    const res = await pgTool('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
    if (res.code !== 0 && !/is the server running/i.test(res.stderr)) throw new Error(`pg_ctl stop failed: ${res.stderr}`);
  };

  try {
    const [cmd, argv] = asPostgres(join(PG_BIN, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', SUPERUSER, '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    await runOk(cmd, argv, { cwd: tmp.path, timeoutMs: 60_000 });
    // freePort() releases the port before the server binds it; a lost race retries on a new one.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      if (await startServer()) break;
      if (attempt >= 3) throw new Error(`PostgreSQL could not bind a port:\n${await readFile(logFile, 'utf8')}`);
    }
  } catch (err) {
    process.removeListener('exit', cleanupOnExit);
    cleanupOnExit();
    throw err;
  }

  const url = (db = 'postgres') => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`;
  return {
    port,
    url,
    async createDatabase(name = `t_${randomBytes(6).toString('hex')}`) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`database name "${name}": lowercase letters, digits, _`);
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop: () => stopServer('fast'),
    async start() {
      if (!(await startServer())) throw new Error(`port ${port} was taken while PostgreSQL was stopped`);
    },
    async destroy() {
      process.removeListener('exit', cleanupOnExit);
      try {
        await stopServer('immediate');
      } finally {
        await tmp.remove();
      }
    },
  };
}
