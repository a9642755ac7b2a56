import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { run, type RunResult } from '../harness/proc.js';

/** The built CLI (npm test builds dist/ first), run as an operator runs it. */
export const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');

/** The environment without any PORTCULLIS_* of the machine running the tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_'))), ...extra };
}

export interface CliOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs `portcullis ARGS` with stdin a pipe (no terminal). */
export function cli(env: NodeJS.ProcessEnv, args: string[], opts: CliOptions = {}): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...env, ...opts.env }, input: opts.input, timeoutMs: 30_000 });
}

/**
 * Runs `portcullis ARGS` on a pseudo-terminal (util-linux `script`), typing each answer only once
 * its question is on the screen, as a person would: typed earlier, the terminal would still be
 * in cooked mode and echo it. Resolves to everything the terminal showed, and the exit code.
 */
export function onTerminal(
  env: NodeJS.ProcessEnv,
  args: string[],
  answers: [question: RegExp, answer: string][],
  opts: { cwd?: string; bin?: string } = {},
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, opts.bin ?? BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let next = 0;
    let seenUpTo = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const onOutput = (d: Buffer) => {
      screen += d.toString();
      const pending = answers[next];
      if (!pending) return;
      const m = pending[0].exec(screen.slice(seenUpTo));
      if (!m) return;
      seenUpTo += m.index + m[0].length;
      next += 1;
      child.stdin.write(`${pending[1]}\r`);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, screen });
    });
  });
}
