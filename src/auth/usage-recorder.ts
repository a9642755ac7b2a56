import type { Logger } from '../domain/logger.js';
import type { RobotUse } from '../domain/repositories.js';

/** How often the uses gathered in memory are written. */
export const FLUSH_EVERY_MS = 30_000;

/**
 * When and from where each robot or personal access token was last used. A CI job may fetch a
 * token per layer, so uses are gathered in memory (the last per credential) and written every
 * FLUSH_EVERY_MS and on close: one UPDATE per credential per flush, never one per token.
 */
export class UsageRecorder {
  #pending = new Map<number, RobotUse>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly repository: { recordUses(uses: readonly RobotUse[]): Promise<void> },
    /** What is recorded, for the log: "robot logins". */
    private readonly what: string,
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
      await this.repository.recordUses(uses);
    } catch (err) {
      this.logger?.warn({ err: { message: (err as Error).message }, count: uses.length }, `could not record ${this.what}`);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
