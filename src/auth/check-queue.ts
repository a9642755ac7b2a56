import { OverloadedError } from '../domain/errors.js';

/**
 * Runs at most `concurrency` tasks at once and lets at most `maxWaiting` more wait; beyond that
 * a task is refused at once with OverloadedError. bcrypt in front of it: a storm of wrong
 * passwords then holds a bounded share of the CPU and answers 503 quickly instead of queueing
 * for seconds, while cached logins never enter the queue.
 */
export class CheckQueue {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {
    if (concurrency < 1) throw new TypeError('concurrency must be at least 1');
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs fn when a slot is free; `mayRefuse: false` waits however long the queue is (admin writes). */
  async run<T>(fn: () => Promise<T>, mayRefuse = true): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (mayRefuse && this.#waiting.length >= this.maxWaiting) throw new OverloadedError('password checks');
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so #running only drops when none waits.
      if (next) next();
      else this.#running -= 1;
    }
  }
}
