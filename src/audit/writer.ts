import type { AuditRepository, AuditSink, NewAuditEntry } from '../domain/audit.js';
import type { Logger } from '../domain/logger.js';

export interface AuditWriterOptions {
  /** A batch is written at least this often while entries wait. */
  flushEveryMs: number;
  /** ...and as soon as this many wait. */
  batchSize: number;
  /** At most this many wait (the store down); more are dropped and counted. */
  maxEntries: number;
}

export interface AuditWriterHooks {
  logger?: Logger | undefined;
  /** Told of every entry that had to be dropped (metrics). */
  onDrop?: ((count: number) => void) | undefined;
}

/** Rows per write while catching up after an outage; each write is one multi-row INSERT. */
const MAX_PER_WRITE = 5_000;

/**
 * Takes audit entries from the hot path without waiting and writes them in batches. `record`
 * only pushes to an array; the write happens later, off the request. While the store is down,
 * entries wait here and are written once it answers again; past `maxEntries` the newest are
 * dropped, counted (onDrop) and logged once per episode, never silently. Nothing here can make a
 * token request fail.
 */
export class AuditWriter implements AuditSink {
  #buffer: NewAuditEntry[] = [];
  /** Taken from the buffer and being written: still counts against maxEntries. */
  #inFlight = 0;
  #writing: Promise<boolean> | undefined;
  /** Entries accepted, and entries written, since start: what a flush waits for. */
  #recorded = 0;
  #written = 0;
  #scheduled = false;
  /** The store refused the last write: entries are waiting for it. */
  #failing = false;
  #droppedInEpisode = 0;
  #dropped = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly repo: Pick<AuditRepository, 'append'>,
    private readonly opts: AuditWriterOptions,
    private readonly hooks: AuditWriterHooks = {},
  ) {
    this.#timer = setInterval(() => void this.flush(), opts.flushEveryMs).unref();
  }

  /** Entries waiting or being written. */
  get buffered(): number {
    return this.#buffer.length + this.#inFlight;
  }

  /** Entries dropped since start because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  record(entry: NewAuditEntry): void {
    if (this.buffered >= this.opts.maxEntries) {
      this.#drop(1);
      return;
    }
    this.#buffer.push(entry);
    this.#recorded++;
    // A full batch goes out on the next turn of the event loop, never inside the request; while
    // the store is failing, the timer alone retries, so a burst does not hammer a dead store.
    if (this.#buffer.length >= this.opts.batchSize && !this.#scheduled && !this.#failing) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
  }

  /**
   * Writes what was recorded before the call (in batches of MAX_PER_WRITE); resolves when it
   * is written or the store refused. What arrives meanwhile waits for the next tick or a full
   * batch: a flush that chased new arrivals would write a trickle of tiny batches.
   */
  async flush(): Promise<void> {
    const target = this.#recorded;
    while (this.#written < target && this.#buffer.length > 0) {
      this.#writing ??= this.#writeOnce().finally(() => {
        this.#writing = undefined;
      });
      if (!(await this.#writing)) return;
    }
    if (this.#buffer.length === 0) this.#endDropEpisode();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    if (this.#buffer.length > 0) {
      this.hooks.logger?.warn({ entries: this.#buffer.length }, 'audit entries could not be written before shutdown and are lost');
    }
  }

  /** One batch; false when the store refused it (it stays, first in line). */
  async #writeOnce(): Promise<boolean> {
    const batch = this.#buffer.splice(0, MAX_PER_WRITE);
    if (batch.length === 0) return true;
    this.#inFlight = batch.length;
    try {
      await this.repo.append(batch);
    } catch (err) {
      // Back in front, in order: what waited longest is written first once the store is back.
      this.#buffer = batch.concat(this.#buffer);
      if (!this.#failing) {
        this.hooks.logger?.warn(
          { err: { message: (err as Error).message }, waiting: this.#buffer.length },
          'audit entries cannot be written now; they wait in memory and are written when the store answers',
        );
      }
      this.#failing = true;
      return false;
    } finally {
      this.#inFlight = 0;
    }
    this.#written += batch.length;
    if (this.#failing) {
      this.#failing = false;
      this.hooks.logger?.info({ waiting: this.#buffer.length }, 'the store answers again; waiting audit entries are being written');
    }
    return true;
  }

  #drop(count: number): void {
    if (this.#droppedInEpisode === 0) {
      this.hooks.logger?.error(
        { maxEntries: this.opts.maxEntries },
        'audit buffer full: new audit entries are dropped until the store catches up (counted in portcullis_audit_dropped_total)',
      );
    }
    this.#droppedInEpisode += count;
    this.#dropped += count;
    this.hooks.onDrop?.(count);
  }

  /** Everything waiting was written: an episode of drops, if there was one, is over. */
  #endDropEpisode(): void {
    if (this.#droppedInEpisode === 0) return;
    this.hooks.logger?.error({ dropped: this.#droppedInEpisode }, 'audit entries were dropped while the buffer was full');
    this.#droppedInEpisode = 0;
  }
}
