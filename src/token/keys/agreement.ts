import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../domain/logger.js';
import type { SigningKeyReport, SigningKeysRepository } from '../../domain/repositories.js';
import type { KeyRing, PublishedKeys } from './ring.js';

/**
 * Why the registry may refuse this replica's tokens, in words: another replica on the store
 * does not publish the key this one signs with (it is not that replica's current, next or
 * previous key). Undefined when every replica publishes it.
 */
export function disagreement(mine: Pick<PublishedKeys, 'signingKid'>, others: readonly SigningKeyReport[]): string | undefined {
  const missing = others.filter((o) => !o.publishedKids.includes(mine.signingKid));
  if (missing.length === 0) return undefined;
  const who = missing.map((o) => `${o.host} pid ${o.pid} (signs with ${o.signingKid}, publishes ${o.publishedKids.join(', ')})`).join('; ');
  return `this replica signs with ${mine.signingKid}, which ${missing.length === 1 ? 'this replica does' : 'these replicas do'} not publish: ${who}; the replicas must share one keys directory, rotated with keys rotate, promote and retire`;
}

export interface AgreementOptions {
  intervalMs?: number;
  /** A replica not heard from for this long is no longer compared with. */
  liveSeconds?: number;
  /** A replica not heard from for this long is deleted from the store. */
  forgetSeconds?: number;
  logger?: Logger | undefined;
}

/**
 * Heartbeats this replica's keys to the store, and after each heartbeat (and each key reload)
 * compares them with the other replicas'. On the embedded store there is one process (the
 * data-directory lock), so there is never anyone to disagree with.
 */
export class KeyAgreement {
  readonly #instance = { instanceId: randomUUID(), host: hostname(), pid: process.pid };
  #problem: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  #closed = false;

  constructor(
    private readonly repo: SigningKeysRepository,
    private readonly ring: KeyRing,
    private readonly opts: AgreementOptions = {},
  ) {}

  /** Why this replica is not ready, or undefined. */
  get problem(): string | undefined {
    return this.#problem;
  }

  async start(): Promise<void> {
    await this.heartbeat();
    this.ring.onChange(() => void this.heartbeat());
    this.#timer = setInterval(() => void this.heartbeat(), this.opts.intervalMs ?? 5_000);
    this.#timer.unref();
  }

  async heartbeat(): Promise<void> {
    if (this.#closed) return;
    const { logger, liveSeconds = 15, forgetSeconds = 3_600 } = this.opts;
    const keys = this.ring.published;
    const mine: SigningKeyReport = { ...this.#instance, signingKid: keys.signingKid, publishedKids: keys.publishedKids };
    let others: SigningKeyReport[];
    try {
      others = await this.repo.report(mine, liveSeconds, forgetSeconds);
    } catch (err) {
      // The store being down is /readyz's own finding; this only must not crash or spam.
      if (!this.#failing) logger?.warn({ reason: (err as Error).message }, 'could not record this replica’s signing keys in the store');
      this.#failing = true;
      return;
    }
    this.#failing = false;
    const problem = disagreement(keys, others);
    if (problem && problem !== this.#problem) logger?.error({ signing: keys.signingKid, replicas: others }, problem);
    if (!problem && this.#problem) logger?.info({ signing: keys.signingKid }, 'every replica publishes the key this one signs with again');
    this.#problem = problem;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.repo.remove(this.#instance.instanceId).catch(() => undefined);
  }
}
