import type { AuditEntry, AuditFilter, AuditPageRequest, AuditReader, AuditRepository, AuditSink, NewAuditEntry } from '../domain/audit.js';
import type { Logger } from '../domain/logger.js';
import { AuditRetention } from './retention.js';
import { AuditWriter, type AuditWriterOptions } from './writer.js';

export interface AuditSettings {
  enabled: boolean;
  retentionDays: number;
  buffer: AuditWriterOptions;
}

/**
 * The audit trail as the rest of the service sees it: `record` for the hot path (buffered,
 * never waits), `list` for the read side, and the retention sweep. Off, it records nothing
 * but still lists and sweeps what was recorded before.
 */
export class AuditTrail implements AuditSink {
  readonly #writer: AuditWriter | undefined;
  readonly #retention: AuditRetention;

  constructor(
    private readonly repo: AuditRepository,
    settings: AuditSettings,
    hooks: { logger?: Logger | undefined; onDrop?: ((count: number) => void) | undefined } = {},
  ) {
    this.#writer = settings.enabled ? new AuditWriter(repo, settings.buffer, hooks) : undefined;
    this.#retention = new AuditRetention(repo, settings.retentionDays, hooks.logger);
  }

  get enabled(): boolean {
    return this.#writer !== undefined;
  }

  /** Entries waiting in memory to be written. */
  get buffered(): number {
    return this.#writer?.buffered ?? 0;
  }

  get dropped(): number {
    return this.#writer?.dropped ?? 0;
  }

  record(entry: NewAuditEntry): number {
    return this.#writer?.record(entry) ?? 0;
  }

  repeat(seq: number, at: Date, inline: readonly string[]): number {
    return this.#writer?.repeat(seq, at, inline) ?? 0;
  }

  /** Writes what waits now (tests, and a reader who wants to see its own request). */
  async flush(): Promise<void> {
    await this.#writer?.flush();
  }

  list(filter: AuditFilter, reader: AuditReader, page: AuditPageRequest): Promise<AuditEntry[]> {
    return this.repo.list(filter, reader, page);
  }

  sweep(): Promise<number | null> {
    return this.#retention.sweep();
  }

  async close(): Promise<void> {
    this.#retention.close();
    await this.#writer?.close();
  }
}
