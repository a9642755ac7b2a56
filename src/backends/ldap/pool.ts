import type { Client } from 'ldapts';
import { closeQuietly, isDirectoryAnswer, openBound, searcher, unavailable, type ConnectSettings, type Search } from './connection.js';

/**
 * A few connections bound as the service account, reused across requests. Only the service
 * account ever binds on them (user binds get their own short-lived connection), so a pooled
 * connection never carries a user's identity. A connection that failed, timed out or dropped
 * is thrown away, and the next request opens a new one: recovery after an outage needs no
 * restart.
 */
export class ServicePool {
  readonly #idle: Client[] = [];
  readonly #waiters: (() => void)[] = [];
  #open = 0;
  #closed = false;

  constructor(
    private readonly settings: ConnectSettings,
    private readonly bindDn: string,
    private readonly bindPassword: string,
    private readonly size: number,
  ) {}

  /** Runs fn with a bound search function; errors other than the server's verdicts retire the connection. */
  async use<T>(fn: (search: Search) => Promise<T>): Promise<T> {
    const client = await this.#acquire();
    let healthy = true;
    try {
      return await fn(searcher(client));
    } catch (err) {
      healthy = isDirectoryAnswer(err);
      throw err;
    } finally {
      this.#release(client, healthy);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const client of this.#idle.splice(0)) closeQuietly(client);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #acquire(): Promise<Client> {
    for (;;) {
      if (this.#closed) throw unavailable('LDAP pool closed');
      const idle = this.#idle.pop();
      if (idle?.isBound) return idle;
      if (idle) {
        this.#retire(idle);
        continue;
      }
      if (this.#open < this.size) return this.#connect();
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async #connect(): Promise<Client> {
    this.#open += 1;
    try {
      return await openBound(this.settings, this.bindDn, this.bindPassword);
    } catch (err) {
      this.#open -= 1;
      this.#waiters.shift()?.();
      // A refused service bind is a configuration fault, not a user's wrong password.
      throw isDirectoryAnswer(err) ? unavailable('the LDAP service account bind failed', err) : err;
    }
  }

  #release(client: Client, healthy: boolean): void {
    if (healthy && client.isBound && !this.#closed) this.#idle.push(client);
    else this.#retire(client);
    this.#waiters.shift()?.();
  }

  #retire(client: Client): void {
    this.#open -= 1;
    closeQuietly(client);
  }
}
