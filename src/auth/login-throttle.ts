import type { BeforeCheck } from '../domain/authn.js';
import { ThrottledError } from '../domain/errors.js';
import type { FailureCount, LoginFailuresRepository } from '../domain/repositories.js';

export interface ThrottlePolicy {
  enabled: boolean;
  /** Free failures of one username from one address; then exponential back-off. */
  addressUserFailures: number;
  /** Free failures from one address, any usernames; then exponential back-off. */
  addressFailures: number;
  /** Failures of one username from all addresses after which its checks are slowed, never refused. */
  userFailures: number;
  baseSeconds: number;
  maxSeconds: number;
  userDelayMaxMs: number;
  forgetAfterSeconds: number;
}

/** One login attempt as the throttle follows it: check, then report how it went. */
export interface Attempt {
  /** Hand to the authenticators: runs only before a costly check, refuses when throttled. */
  beforeCheck: BeforeCheck;
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/** The back-off after `failures` when the first `free` cost nothing: the next waits base, then 2 base, 4 base... */
export function backoffSeconds(failures: number, free: number, p: Pick<ThrottlePolicy, 'baseSeconds' | 'maxSeconds'>): number {
  if (failures < free) return 0;
  return Math.min(p.maxSeconds, p.baseSeconds * 2 ** Math.min(failures - free, 30));
}

/**
 * Brute-force throttling of password checks, by client address. Failures of one username from
 * one address and failures from one address back off exponentially: further attempts get 429
 * with Retry-After and never reach bcrypt. Failures of one username across addresses only slow
 * its checks (a few seconds at most), so an attacker elsewhere can never lock the owner out
 * (Harbor's lockout is a denial of service). A success resets its address's count for the user.
 */
export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailuresRepository,
    private readonly policy: ThrottlePolicy,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** `username` undefined: a credential that names no user (an identity token). */
  attempt(address: string, username: string | undefined): Attempt {
    const user = username?.toLowerCase();
    // JSON keeps any character a client sends (NUL too, which PostgreSQL text refuses) as text.
    const keys = {
      address: `a:${JSON.stringify(address)}`,
      addressUser: user === undefined ? undefined : `au:${JSON.stringify([address, user])}`,
      user: user === undefined ? undefined : `u:${JSON.stringify(user)}`,
    };
    const all = [keys.address, keys.addressUser, keys.user].filter((k): k is string => k !== undefined);
    let checked = false;
    return {
      beforeCheck: async () => {
        checked = true;
        if (!this.policy.enabled) return;
        const counts = await this.failures.get(all, this.#forgetBefore());
        const wait = Math.max(
          this.#blockedFor(counts.get(keys.address), this.policy.addressFailures),
          this.#blockedFor(keys.addressUser ? counts.get(keys.addressUser) : undefined, this.policy.addressUserFailures),
        );
        if (wait > 0) throw new ThrottledError(wait);
        const delay = this.#userDelayMs(keys.user ? counts.get(keys.user) : undefined);
        if (delay > 0) await this.sleep(delay);
      },
      failed: async () => {
        if (this.policy.enabled) await this.failures.increment(all, this.now(), this.#forgetBefore());
      },
      succeeded: async () => {
        // Only after a real check: a cached login never touches the counters (no write per token).
        if (this.policy.enabled && checked && keys.addressUser) await this.failures.reset(keys.addressUser);
      },
    };
  }

  /** Counters nobody has touched for longer than the policy remembers go. */
  sweep(): Promise<number> {
    return this.failures.deleteOlderThan(this.#forgetBefore());
  }

  #forgetBefore(): number {
    return this.now() - this.policy.forgetAfterSeconds * 1000;
  }

  /** Whole seconds until the key may try again; 0 when it may now. */
  #blockedFor(count: FailureCount | undefined, free: number): number {
    if (!count) return 0;
    const until = count.lastFailureAt + backoffSeconds(count.failures, free, this.policy) * 1000;
    return Math.max(0, Math.ceil((until - this.now()) / 1000));
  }

  #userDelayMs(count: FailureCount | undefined): number {
    if (!count || count.failures <= this.policy.userFailures) return 0;
    return Math.min(this.policy.userDelayMaxMs, 100 * 2 ** Math.min(count.failures - this.policy.userFailures - 1, 20));
  }
}
