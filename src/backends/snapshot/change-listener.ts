import type pg from 'pg';
import type { Logger } from '../../domain/logger.js';
import { SNAPSHOT_PARTS, type SnapshotPart } from './access-snapshot.js';

export const CHANGES_CHANNEL = 'portcullis_changes';
const RECONNECT_MS = 500;

export interface ListenerEvents {
  /** A write committed on some replica touched this part. */
  changed(part: SnapshotPart): void;
  /** The connection is (again) listening: whatever happened while it was not is unknown. */
  connected(): void;
  /** The connection dropped: from now on no change is heard until `connected`. */
  lost(): void;
}

/**
 * A dedicated PostgreSQL connection that LISTENs for the store's change notifications and
 * reconnects by itself. pg.Pool connections cannot LISTEN: a notification goes to the one
 * session that asked, and the pool hands sessions around.
 */
export class ChangeListener {
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly events: ListenerEvents,
    private readonly log?: Logger,
  ) {}

  start(): void {
    void this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { default: pgModule } = await import('pg');
    if (this.#closed) return;
    const client = new pgModule.Client({ connectionString: this.url, application_name: 'portcullis-listen', keepAlive: true, connectionTimeoutMillis: 3_000 });
    this.#client = client;
    let dropped = false;
    const drop = (err?: Error) => {
      if (dropped) return;
      dropped = true;
      if (err && !this.#closed) this.log?.warn({ err: { message: err.message } }, 'change listener lost its database connection; retrying');
      this.events.lost();
      client.end().catch(() => undefined);
      if (!this.#closed) this.#timer = setTimeout(() => void this.#connect(), RECONNECT_MS).unref();
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (n) => {
      const part = SNAPSHOT_PARTS.find((p) => p === n.payload);
      if (part) this.events.changed(part);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      drop(err as Error);
      return;
    }
    if (!dropped) this.events.connected();
  }
}
