import type { Logger } from '../domain/logger.js';
import type { RobotsRepository, RobotUse } from '../domain/repositories.js';

/** How often the uses gathered in memory are written. */
export const FLUSH_EVERY_MS = 30_000;

/**
 * When and from where each robot last logged in. A CI robot may fetch a token per layer, so
 * uses are gathered in memory (the last per robot) and written every FLUSH_EVERY_MS and on
 * close: one UPDATE per robot per flush, never one per token.
 */
export class RobotUsage {
  #pending = new Map<number, RobotUse>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly robots: Pick<RobotsRepository, 'recordUses'>,
    private readonly logger?: Logger,
    flushEveryMs = FLUSH_EVERY_MS,
  ) {
    this.#timer = setInterval(() => void this.flush(), flushEveryMs).unref();
  }

  record(id: number, ip: string): void {
    this.#pending.set(id, { id, at: new Date(), ip });
  }

  /** Writes what was gathered; a failed write is logged and dropped (it is bookkeeping, not auth). */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const uses = [...this.#pending.values()];
    this.#pending = new Map();
    try {
      await this.robots.recordUses(uses);
    } catch (err) {
      this.logger?.warn({ err: { message: (err as Error).message }, robots: uses.length }, 'could not record robot logins');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
