import { describe, expect, it, vi } from 'vitest';
import { hashRobotSecret, newRobotSecret, robotSecretMatches } from '../../../src/auth/robot-secrets.js';
import { UsageRecorder } from '../../../src/auth/usage-recorder.js';
import { RobotAuthenticator } from '../../../src/auth/robots.js';
import type { RobotRecord } from '../../../src/domain/model.js';
import type { RobotsRepository, RobotUse } from '../../../src/domain/repositories.js';
import { Secret } from '../../../src/domain/secret.js';

const NOW = Date.parse('2025-06-01T00:00:00Z');
const SECRET = newRobotSecret();

function robot(over: Partial<RobotRecord> = {}): RobotRecord {
  const at = new Date(NOW - 86_400_000);
  return {
    id: 7,
    name: 'robot$team+ci',
    project: 'team',
    description: '',
    secretHash: hashRobotSecret(SECRET),
    expiresAt: null,
    disabled: false,
    permissions: [{ project: 'team', actions: ['pull'] }],
    createdAt: at,
    updatedAt: at,
    lastUsedAt: null,
    lastUsedIp: null,
    ...over,
  };
}

function authenticator(found: RobotRecord | null) {
  const logged: unknown[] = [];
  const repo = { find: vi.fn(async () => found) } as unknown as RobotsRepository;
  const log = { debug: () => undefined, info: (o: object, m?: string) => logged.push([o, m]), warn: () => undefined, error: () => undefined };
  return { auth: new RobotAuthenticator(repo, log, () => NOW), repo, logged };
}

describe('robot secrets', () => {
  it('are recognisable, random, and stored as a hex SHA-256', () => {
    expect(SECRET).toMatch(/^pcb_[A-Za-z0-9_-]{43}$/);
    expect(newRobotSecret()).not.toBe(SECRET);
    expect(hashRobotSecret(SECRET)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['the secret', SECRET, hashRobotSecret(SECRET), true],
    ['another secret', newRobotSecret(), hashRobotSecret(SECRET), false],
    ['no stored hash (unknown robot)', SECRET, undefined, false],
    ['a malformed stored hash', SECRET, 'xyz', false],
    ['the hash itself as the secret', hashRobotSecret(SECRET), hashRobotSecret(SECRET), false],
  ])('match: %s', (_, secret, stored, expected) => {
    expect(robotSecretMatches(secret, stored)).toBe(expected);
  });
});

describe('RobotAuthenticator', () => {
  it.each<[string, string, string, RobotRecord | null, string]>([
    ['a user name is not its to judge', 'alice', SECRET, robot(), 'unknown'],
    ['the right secret', 'robot$team+ci', SECRET, robot(), 'ok'],
    ['a wrong secret', 'robot$team+ci', newRobotSecret(), robot(), 'denied'],
    ['an unknown robot', 'robot$ghost', SECRET, null, 'denied'],
    ['a disabled robot', 'robot$team+ci', SECRET, robot({ disabled: true }), 'denied'],
    ['an expired robot', 'robot$team+ci', SECRET, robot({ expiresAt: new Date(NOW) }), 'denied'],
    ['a robot that expires later', 'robot$team+ci', SECRET, robot({ expiresAt: new Date(NOW + 1000) }), 'ok'],
  ])('%s', async (_, name, secret, found, expected) => {
    const { auth } = authenticator(found);
    expect((await auth.authenticate(name, new Secret(secret))).kind).toBe(expected);
  });

  it('vouches for a robot identity: its permissions, no admin flag, no user row', async () => {
    const outcome = await authenticator(robot()).auth.authenticate('robot$team+ci', new Secret(SECRET));
    expect(outcome).toEqual({
      kind: 'ok',
      identity: { username: 'robot$team+ci', userId: 0, admin: false, groups: [], source: 'local', robot: { id: 7, permissions: robot().permissions } },
    });
  });

  it('says why an expired or disabled robot was refused, never the secret', async () => {
    const expired = authenticator(robot({ expiresAt: new Date(NOW - 1) }));
    await expired.auth.authenticate('robot$team+ci', new Secret(SECRET));
    const disabled = authenticator(robot({ disabled: true }));
    await disabled.auth.authenticate('robot$team+ci', new Secret(SECRET));
    expect(expired.logged).toEqual([[{ robot: 'robot$team+ci', reason: 'expired' }, expect.stringMatching(/expired/)]]);
    expect(disabled.logged).toEqual([[{ robot: 'robot$team+ci', reason: 'disabled' }, expect.stringMatching(/disabled/)]]);
    expect(JSON.stringify([expired.logged, disabled.logged])).not.toContain(SECRET);
  });

  it('meets the throttle on a wrong secret, for known and unknown robots, and a throttled guess is refused', async () => {
    for (const [found, reason] of [
      [robot(), 'bad_password'],
      [null, 'unknown_user'],
    ] as const) {
      const beforeCheck = vi.fn(async () => undefined);
      expect(await authenticator(found).auth.authenticate('robot$team+ci', new Secret('pcb_guess'), beforeCheck)).toEqual({ kind: 'denied', reason });
      expect(beforeCheck).toHaveBeenCalledOnce();
    }
    const throttled = vi.fn(async () => {
      throw Object.assign(new Error('too many failed logins'), { code: 'TOOMANYREQUESTS' });
    });
    await expect(authenticator(robot()).auth.authenticate('robot$team+ci', new Secret('pcb_guess'), throttled)).rejects.toMatchObject({
      code: 'TOOMANYREQUESTS',
    });
  });

  it('a right secret skips the throttle: the hot path of every pull reads no counter', async () => {
    const beforeCheck = vi.fn(async () => undefined);
    expect((await authenticator(robot()).auth.authenticate('robot$team+ci', new Secret(SECRET), beforeCheck)).kind).toBe('ok');
    expect(beforeCheck).not.toHaveBeenCalled();
  });
});

describe('UsageRecorder', () => {
  it('writes the last use of each robot once per flush, and what is left on close', async () => {
    const written: RobotUse[][] = [];
    const usage = new UsageRecorder({ recordUses: async (uses) => void written.push([...uses]) }, 'robot logins', undefined, 3_600_000);
    usage.record(1, '10.0.0.1');
    usage.record(1, '10.0.0.2');
    usage.record(2, '10.0.0.3');
    await usage.flush();
    await usage.flush();
    usage.record(2, '10.0.0.4');
    await usage.close();
    expect(written.map((uses) => uses.map((u) => [u.id, u.ip]))).toEqual([
      [
        [1, '10.0.0.2'],
        [2, '10.0.0.3'],
      ],
      [[2, '10.0.0.4']],
    ]);
  });

  it('drops a batch the store could not take, with a warning', async () => {
    const warned: unknown[] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: (o: object) => warned.push(o), error: () => undefined };
    const usage = new UsageRecorder(
      {
        recordUses: async () => {
          throw new Error('down');
        },
      },
      'robot logins',
      log,
      3_600_000,
    );
    usage.record(1, '10.0.0.1');
    await usage.close();
    expect(warned).toEqual([{ err: { message: 'down' }, count: 1 }]);
  });
});
