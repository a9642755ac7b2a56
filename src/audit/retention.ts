import type { AuditRepository } from '../domain/audit.js';
import type { Logger } from '../domain/logger.js';

const DAY_MS = 86_400_000;

/**
 * Deletes audit entries older than the retention, every `everyMs` (and once soon after start).
 * Replicas on one PostgreSQL each run it; an advisory lock lets one sweep at a time and the
 * others skip that round.
 */
export class AuditRetention {
  readonly #timers: NodeJS.Timeout[];

  constructor(
    private readonly repo: Pick<AuditRepository, 'sweep'>,
    private readonly retentionDays: number,
    private readonly logger?: Logger,
    everyMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {
    const run = () => void this.sweep().catch((err: Error) => this.logger?.warn({ err: { message: err.message } }, 'could not delete old audit entries'));
    this.#timers = [setTimeout(run, Math.min(everyMs, 60_000)).unref(), setInterval(run, everyMs).unref()];
  }

  /** Deletes what is past the retention now; null when another replica was sweeping. */
  async sweep(): Promise<number | null> {
    const deleted = await this.repo.sweep(new Date(this.now() - this.retentionDays * DAY_MS));
    if (deleted) this.logger?.info({ deleted, retentionDays: this.retentionDays }, 'old audit entries deleted');
    return deleted;
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
  }
}
