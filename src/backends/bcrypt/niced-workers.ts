import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { BcryptEngine } from '../../domain/authn.js';

/**
 * bcrypt on worker threads of their own at the lowest CPU priority (nice 19). A storm of wrong
 * passwords then only uses CPU time that cached logins and signing leave idle: on a 2-core
 * machine cache hits keep their latency however many bcrypts wait. (Linux sets nice per thread,
 * so the event loop and the signing pool keep theirs.) The worker is inline CommonJS so it runs
 * the same from dist/ and from the test runner's TypeScript.
 */
export class NicedBcryptWorkers implements BcryptEngine {
  readonly #idle: Worker[] = [];
  readonly #all: Worker[] = [];
  readonly #waiting: ((w: Worker) => void)[] = [];
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor(size: number) {
    const bcrypt = createRequire(import.meta.url).resolve('@node-rs/bcrypt');
    const source = `
      const { parentPort } = require('node:worker_threads');
      try { require('node:os').setPriority(19); } catch {}
      const bcrypt = require(${JSON.stringify(bcrypt)});
      parentPort.on('message', ({ id, op, password, hash, cost }) => {
        try {
          const result = op === 'verify' ? bcrypt.verifySync(password, hash) : bcrypt.hashSync(password, cost);
          parentPort.postMessage({ id, result });
        } catch (err) {
          parentPort.postMessage({ id, error: String((err && err.message) || err) });
        }
      });`;
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(source, { eval: true });
      worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
        const call = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        this.#release(worker);
        if (m.error === undefined) call?.resolve(m.result);
        else call?.reject(new Error(m.error));
      });
      worker.unref();
      this.#all.push(worker);
      this.#idle.push(worker);
    }
  }

  hash(password: string, cost: number): Promise<string> {
    return this.#run({ op: 'hash', password, cost }) as Promise<string>;
  }

  /** A malformed stored hash answers false, as the library's async verify does through our catch. */
  verify(password: string, hash: string): Promise<boolean> {
    return (this.#run({ op: 'verify', password, hash }) as Promise<boolean>).catch(() => false);
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((w) => w.terminate()));
  }

  async #run(message: object): Promise<unknown> {
    const worker = this.#idle.pop() ?? (await new Promise<Worker>((resolve) => this.#waiting.push(resolve)));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  }

  #release(worker: Worker): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(worker);
    else this.#idle.push(worker);
  }
}
