import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing output; never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A child that exits without reading stdin makes this write fail with EPIPE; its exit code
    // is what matters, so the error must not surface as an uncaught exception.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** Runs a command and throws with its output when it exits non-zero. */
export async function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${res.code}\n${res.stdout}\n${res.stderr}`);
  return res;
}

/** A long-running child whose output is kept for failure messages. */
export interface Daemon {
  child: ChildProcess;
  output: () => string;
  /** Settles when the child exits, so a start-up wait can fail fast on a crash. */
  exited: Promise<void>;
  stop: () => Promise<void>;
}

export interface DaemonOptions extends SpawnOptions {
  /** Grace period between SIGTERM and SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
  /**
   * Run in its own process group and SIGKILL the whole group after the leader is gone, so helpers
   * it forked (dockerd's managed containerd) die with it even when the leader is killed.
   */
  killGroup?: boolean;
  /** How much trailing output to keep (default 20 kB). */
  keepBytes?: number;
}

export function startDaemon(cmd: string, args: string[], opts: DaemonOptions = {}): Daemon {
  const { stopTimeoutMs = 5_000, killGroup = false, keepBytes = 20_000, ...spawnOpts } = opts;
  const child = spawn(cmd, args, { ...spawnOpts, detached: killGroup, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-keepBytes);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killTree = (sig: NodeJS.Signals) => {
    if (!killGroup || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* group already gone */
    }
  };
  return {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          killTree('SIGKILL');
        }, stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      killTree('SIGKILL');
    },
  };
}

/** A fresh temporary directory and its removal. */
export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `portcullis-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** True when a binary is on PATH. Under CI=true a missing binary must fail the run, not skip it. */
export async function hasBinary(name: string): Promise<boolean> {
  const res = await run('sh', ['-c', `command -v ${name}`]).catch(() => null);
  return res?.code === 0;
}

/** Throws when a required binary is missing; tests call this instead of skipping. */
export async function requireBinary(name: string): Promise<void> {
  if (!(await hasBinary(name))) throw new Error(`required binary '${name}' is not installed (see .ci/run for the Debian packages)`);
}

/**
 * Polls `check` every `intervalMs` until it returns true; fails fast when `exited` settles (the
 * daemon being waited for crashed) instead of sitting out the whole timeout. `exited` is
 * undefined when no process of ours is behind the wait (a state in a database or a directory).
 */
export async function pollUntil(
  check: () => Promise<boolean>,
  exited: Promise<void> | undefined,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  let dead = false;
  void exited?.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (dead) throw new Error(`${what}: process exited`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until `base`/readyz answers 200: the service is up and its store answers. */
export function untilReady(base: string, exited: Promise<void> | undefined, what: string, timeoutMs = 30_000): Promise<void> {
  return pollUntil(
    () =>
      fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    exited,
    what,
    timeoutMs,
    100,
  );
}
