import { describe, expect, it } from 'vitest';
import { backoffSeconds, LoginThrottle, type ThrottlePolicy } from '../../../src/auth/login-throttle.js';
import { MemoryLoginFailures } from '../../../src/backends/throttle/memory-failures.js';

const POLICY: ThrottlePolicy = {
  enabled: true,
  addressUserFailures: 3,
  addressFailures: 10,
  userFailures: 20,
  baseSeconds: 1,
  maxSeconds: 60,
  userDelayMaxMs: 2000,
  forgetAfterSeconds: 3600,
};

function throttle(policy: Partial<ThrottlePolicy> = {}) {
  const clock = { now: 1_000_000_000 };
  const slept: number[] = [];
  const t = new LoginThrottle(
    new MemoryLoginFailures(),
    { ...POLICY, ...policy },
    () => clock.now,
    async (ms) => {
      slept.push(ms);
    },
  );
  /** One failed attempt, as the realm makes it: check (maybe refused), then report. */
  const fail = async (address: string, user: string) => {
    const a = t.attempt(address, user);
    await a.beforeCheck();
    await a.failed();
  };
  const refusal = async (address: string, user: string) => {
    try {
      await t.attempt(address, user).beforeCheck();
      return undefined;
    } catch (err) {
      return err as { code: string; retryAfterSeconds: number };
    }
  };
  return { t, clock, slept, fail, refusal };
}

describe('backoffSeconds', () => {
  it.each([
    [2, 0],
    [3, 1],
    [4, 2],
    [5, 4],
    [10, 60],
    [1000, 60],
  ])('after %i failures with 3 free: %i s', (failures, seconds) => {
    expect(backoffSeconds(failures, 3, POLICY)).toBe(seconds);
  });
});

describe('LoginThrottle', () => {
  it('lets the free failures through, then refuses with TOOMANYREQUESTS and a Retry-After that doubles', async () => {
    const { fail, refusal, clock } = throttle();
    for (let i = 0; i < 2; i++) await fail('10.0.0.1', 'alice');
    expect(await refusal('10.0.0.1', 'alice')).toBeUndefined();
    await fail('10.0.0.1', 'alice');
    expect(await refusal('10.0.0.1', 'alice')).toMatchObject({ code: 'TOOMANYREQUESTS', retryAfterSeconds: 1 });
    clock.now += 1000;
    await fail('10.0.0.1', 'alice');
    expect(await refusal('10.0.0.1', 'alice')).toMatchObject({ retryAfterSeconds: 2 });
  });

  it("never refuses another address because of this one's failures, and only slows the username", async () => {
    const { fail, refusal, slept } = throttle({ userFailures: 5 });
    for (let i = 0; i < 8; i++) await fail(`10.0.0.${i}`, 'alice');
    expect(await refusal('192.0.2.1', 'alice')).toBeUndefined();
    expect(slept.at(-1)).toBeGreaterThan(0);
    expect(Math.max(...slept)).toBeLessThanOrEqual(2000);
  });

  it('counts usernames case-blind, so ALICE and alice share one count', async () => {
    const { fail, refusal } = throttle();
    for (const u of ['alice', 'Alice', 'ALICE']) await fail('10.0.0.1', u);
    expect(await refusal('10.0.0.1', 'alice')).toMatchObject({ code: 'TOOMANYREQUESTS' });
  });

  it('backs off an address that tries many usernames', async () => {
    const { fail, refusal } = throttle();
    for (let i = 0; i < 10; i++) await fail('10.0.0.9', `user${i}`);
    expect(await refusal('10.0.0.9', 'someone-new')).toMatchObject({ code: 'TOOMANYREQUESTS' });
    expect(await refusal('10.0.0.10', 'someone-new')).toBeUndefined();
  });

  it("a success after a real check resets that address's count for the user", async () => {
    const { t, fail, refusal } = throttle();
    for (let i = 0; i < 2; i++) await fail('10.0.0.1', 'alice');
    const ok = t.attempt('10.0.0.1', 'alice');
    await ok.beforeCheck();
    await ok.succeeded();
    for (let i = 0; i < 2; i++) await fail('10.0.0.1', 'alice');
    expect(await refusal('10.0.0.1', 'alice')).toBeUndefined();
  });

  it('forgets failures older than forgetAfterSeconds', async () => {
    const { fail, refusal, clock } = throttle({ forgetAfterSeconds: 60 });
    for (let i = 0; i < 3; i++) await fail('10.0.0.1', 'alice');
    expect(await refusal('10.0.0.1', 'alice')).toMatchObject({ code: 'TOOMANYREQUESTS' });
    clock.now += 61_000;
    expect(await refusal('10.0.0.1', 'alice')).toBeUndefined();
  });

  it('does nothing when disabled', async () => {
    const { fail, refusal } = throttle({ enabled: false });
    for (let i = 0; i < 50; i++) await fail('10.0.0.1', 'alice');
    expect(await refusal('10.0.0.1', 'alice')).toBeUndefined();
  });

  it('keys survive any character a client sends', async () => {
    const { fail, refusal } = throttle();
    for (let i = 0; i < 3; i++) await fail('10.0.0.1', 'a\u0000b"\\');
    expect(await refusal('10.0.0.1', 'a\u0000b"\\')).toMatchObject({ code: 'TOOMANYREQUESTS' });
  });
});
