import type { AuditRepository, AuditSink, NewAuditEntry } from '../domain/audit.js';
import { AuditSegmentBuilder, MAX_SEGMENT_ENTRIES } from '../domain/audit-segment.js';
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

/**
 * Takes audit entries from the hot path without waiting and writes them in segments. `record`
 * encodes the entry into the open segment (see AuditSegmentBuilder) and returns; a segment is
 * written once it holds `batchSize` entries, or at the latest after `flushEveryMs`, off the
 * request. While the store is down, segments wait here and are written, in order, once it
 * answers again; past `maxEntries` the newest entries are dropped, counted (onDrop) and logged
 * once per episode, never silently. Nothing here can make a token request fail.
 */
export class AuditWriter implements AuditSink {
  #open = new AuditSegmentBuilder();
  /** Full (or flushed) segments waiting to be written, oldest first; the first may be being written. */
  readonly #waiting: AuditSegmentBuilder[] = [];
  #waitingEntries = 0;
  #writing: Promise<boolean> | undefined;
  /** Entries accepted, and entries written, since start: what a flush waits for. */
  #recorded = 0;
  #written = 0;
  #scheduled = false;
  /** The store refused the last write: segments are waiting for it. */
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
    return this.#waitingEntries + this.#open.size;
  }

  /** Entries dropped since start because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  record(entry: NewAuditEntry): number {
    if (this.buffered >= this.opts.maxEntries) {
      this.#drop(1);
      return 0;
    }
    try {
      this.#open.add(entry);
    } catch (err) {
      // A bug in whoever built the entry (say, a value JSON cannot hold); the token must not pay for it.
      this.hooks.logger?.error({ err: { message: (err as Error).message }, kind: entry.kind }, 'an audit entry could not be encoded and is lost');
      return 0;
    }
    return this.#added();
  }

  repeat(seq: number, at: Date, inline: readonly string[]): number {
    // Not the last entry, or its segment is no longer open (sealed since): the caller records
    // the entry whole, and a full buffer drops it there, counted once.
    if (seq !== this.#recorded || this.buffered >= this.opts.maxEntries) return 0;
    if (!this.#open.repeatLast(at, inline)) return 0;
    return this.#added();
  }

  /** Counts the entry just added to the open segment; seals the segment once it is full. */
  #added(): number {
    this.#recorded++;
    if (this.#open.size < Math.min(this.opts.batchSize, MAX_SEGMENT_ENTRIES)) return this.#recorded;
    this.#sealOpen();
    // A full segment goes out on the next turn of the event loop, never inside the request; while
    // the store is failing, the timer alone retries, so a burst does not hammer a dead store.
    if (!this.#scheduled && !this.#failing) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
    return this.#recorded;
  }

  /**
   * Writes what was recorded before the call; resolves when it is written or the store refused.
   * What arrives meanwhile waits for the next tick or a full segment: a flush that chased new
   * arrivals would write a trickle of tiny segments. While the store refuses, the segment being
   * retried is not joined by a new one per tick: the open one keeps filling up to `batchSize`.
   */
  async flush(): Promise<void> {
    const target = this.#recorded;
    while (this.#written < target) {
      if (this.#waiting.length === 0) {
        if (this.#open.size === 0) break;
        this.#sealOpen();
      }
      this.#writing ??= this.#writeFirst().finally(() => {
        this.#writing = undefined;
      });
      if (!(await this.#writing)) return;
    }
    if (this.buffered === 0) this.#endDropEpisode();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    if (this.buffered > 0) {
      this.hooks.logger?.warn({ entries: this.buffered }, 'audit entries could not be written before shutdown and are lost');
    }
  }

  #sealOpen(): void {
    this.#waiting.push(this.#open);
    this.#waitingEntries += this.#open.size;
    this.#open = new AuditSegmentBuilder();
  }

  /** The oldest waiting segment; false when the store refused it (it stays, first in line). */
  async #writeFirst(): Promise<boolean> {
    const first = this.#waiting[0];
    if (!first) return true;
    try {
      // Encoded here, off the request that filled it; a retry reuses the encoding.
      await this.repo.append(first.seal());
    } catch (err) {
      if (!this.#failing) {
        this.hooks.logger?.warn(
          { err: { message: (err as Error).message }, waiting: this.buffered },
          'audit entries cannot be written now; they wait in memory and are written when the store answers',
        );
      }
      this.#failing = true;
      return false;
    }
    this.#waiting.shift();
    this.#waitingEntries -= first.size;
    this.#written += first.size;
    if (this.#failing) {
      this.#failing = false;
      this.hooks.logger?.info({ waiting: this.buffered }, 'the store answers again; waiting audit entries are being written');
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
