import type { ChildProcess } from 'node:child_process';

/**
 * Everything the bench starts, undone in reverse order: on success, on a crash and on Ctrl-C.
 * Children are also remembered so that a process.exit() still SIGKILLs whatever is left, since
 * async cleanup does not run on exit.
 */
export class Cleanup {
  readonly #steps: { what: string; undo: () => Promise<void> }[] = [];
  readonly #children = new Set<ChildProcess>();
  #running: Promise<void> | undefined;

  constructor() {
    process.once('exit', () => {
      for (const child of this.#children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  }

  /** Registers an undo step; once cleanup has begun (Ctrl-C mid-start), undoes at once. */
  add(what: string, undo: () => Promise<void>): void {
    if (this.#running) void this.#undo({ what, undo });
    else this.#steps.push({ what, undo });
  }

  /** A child to SIGKILL if the process exits before its undo step ran. */
  watch(child: ChildProcess): void {
    if (this.#running) child.kill('SIGKILL');
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
  }

  /** Runs every step once, newest first; a failing step is reported and the rest still run. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      for (const step of this.#steps.reverse()) await this.#undo(step);
    })();
    return this.#running;
  }

  #undo(step: { what: string; undo: () => Promise<void> }): Promise<void> {
    return step.undo().catch((err: unknown) => {
      process.stderr.write(`bench: cleanup of ${step.what} failed: ${String(err)}\n`);
    });
  }

  /** Ctrl-C or a kill: clean up, then exit 130 (SIGINT) or 143 (SIGTERM). */
  onSignals(): void {
    const handler = (signal: NodeJS.Signals) => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      void this.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }
}
