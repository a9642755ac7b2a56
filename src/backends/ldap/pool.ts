import type { Client } from 'ldapts';
import { BackendUnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../domain/logger.js';
import { closeQuietly, isDirectoryAnswer, openBound, searcher, unavailable, type ConnectSettings, type Search } from './connection.js';
import { describeLdapError } from './describe.js';

/** How often a refused service account is tried again: seldom, lest the directory lock it out. */
export const RECHECK_EVERY_MS = 30_000;

export interface PoolOptions {
  logger?: Logger | undefined;
  recheckEveryMs?: number | undefined;
}

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
  /** Why the directory refuses the service account's bind, while it does. */
  #refused: string | undefined;
  #recheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: ConnectSettings,
    private readonly bindDn: string,
    private readonly bindPassword: string,
    private readonly size: number,
    private readonly opts: PoolOptions = {},
  ) {}

  /** Why the service account cannot bind, as last found; undefined while it can. */
  get problem(): string | undefined {
    return this.#refused;
  }

  /**
   * Binds now and keeps the connection: undefined when it works, else why not. A directory that
   * does not answer is not the account's fault: that is reported, but changes no state.
   */
  async check(): Promise<string | undefined> {
    try {
      const client = await this.#bind();
      if (this.#open < this.size && !this.#closed) {
        this.#open += 1;
        this.#release(client, true);
      } else closeQuietly(client);
      return undefined;
    } catch (err) {
      return (
        this.#refused ??
        `the LDAP directory did not answer: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`
      );
    }
  }

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
    clearInterval(this.#recheck);
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
    // Refused once, refused until the recheck says otherwise: a login neither binds (which could
    // lock the account out) nor logs the fault again.
    if (this.#refused) throw new BackendUnavailableError('ldap', new Error(this.#refused), { alreadyLogged: true });
    this.#open += 1;
    try {
      return await this.#bind();
    } catch (err) {
      this.#open -= 1;
      this.#waiters.shift()?.();
      throw err;
    }
  }

  /** One service bind; its verdict (a refusal) sets or clears the refused state. */
  async #bind(): Promise<Client> {
    try {
      const client = await openBound(this.settings, this.bindDn, this.bindPassword);
      if (this.#refused) {
        this.opts.logger?.info({ bindDn: this.bindDn }, 'the LDAP service account binds again; directory logins are served');
        this.#refused = undefined;
        clearInterval(this.#recheck);
        this.#recheck = undefined;
      }
      return client;
    } catch (err) {
      // A refused service bind is a configuration fault, not a user's wrong password.
      if (!isDirectoryAnswer(err)) throw err;
      this.#refuse(`the LDAP service account ${this.bindDn} cannot bind: ${describeLdapError(err)}`);
      throw new BackendUnavailableError('ldap', new Error(this.#refused), { alreadyLogged: true });
    }
  }

  #refuse(reason: string): void {
    if (this.#refused === reason) return;
    this.#refused = reason;
    this.opts.logger?.error(
      { bindDn: this.bindDn },
      `${reason}; directory logins get 503 until it binds (tried again every ${(this.opts.recheckEveryMs ?? RECHECK_EVERY_MS) / 1000} s)`,
    );
    clearInterval(this.#recheck);
    this.#recheck = setInterval(() => {
      if (this.#closed) return;
      void this.check();
    }, this.opts.recheckEveryMs ?? RECHECK_EVERY_MS);
    this.#recheck.unref();
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
