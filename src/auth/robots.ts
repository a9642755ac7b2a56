import type { AuthOutcome, Authenticator, BeforeCheck } from '../domain/authn.js';
import type { Logger } from '../domain/logger.js';
import { type Identity, ROBOT_PREFIX, type RobotRecord } from '../domain/model.js';
import type { RobotsRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';
import { robotSecretMatches } from './robot-secrets.js';

/**
 * Robot accounts: names starting with `robot$`, a secret checked against its SHA-256. First in
 * the chain, and final for every robot name: a wrong secret, or an expired or disabled robot, is
 * "denied", never passed on to a backend that might know a user by that name.
 */
export class RobotAuthenticator implements Authenticator {
  readonly name = 'robot';

  constructor(
    private readonly robots: RobotsRepository,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<AuthOutcome> {
    if (!username.startsWith(ROBOT_PREFIX)) return { kind: 'unknown' };
    const robot = await this.robots.find(username);
    // Compared even for a robot that does not exist: the answer takes as long either way.
    if (!robotSecretMatches(password.reveal(), robot?.secretHash) || !robot) {
      // Only a wrong secret meets the throttle (which counts it as a failure): a right one is
      // 256 random bits, never a guess, and the hot path of every pull pays no counter read.
      await beforeCheck?.();
      return { kind: 'denied', reason: robot ? 'bad_password' : 'unknown_user' };
    }
    const refused = robotRefusal(robot, this.now());
    if (refused) {
      this.logger?.info({ robot: robot.name, reason: refused }, `robot login refused: the robot is ${refused}`);
      return { kind: 'denied', reason: refused };
    }
    return { kind: 'ok', identity: robotIdentity(robot) };
  }
}

/** Who a robot is once logged in: its permissions, never memberships. */
export function robotIdentity(robot: RobotRecord): Identity {
  return { username: robot.name, userId: 0, admin: false, groups: [], source: 'local', robot: { id: robot.id, permissions: robot.permissions } };
}

/** Why a robot whose secret is right is refused anyway, if it is. */
export function robotRefusal(robot: RobotRecord, now: number): 'disabled' | 'expired' | undefined {
  return robot.disabled ? 'disabled' : robot.expiresAt && robot.expiresAt.getTime() <= now ? 'expired' : undefined;
}
