import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A robot secret starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const ROBOT_SECRET_PREFIX = 'pcb_';

/** A new secret: the prefix and 32 random bytes, base64url. */
export function newRobotSecret(): string {
  return ROBOT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256: what the store keeps. A 256-bit random secret needs no slow hash. */
export function hashRobotSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The hash nothing matches, compared when the robot does not exist so the answer takes as long. */
const NO_ROBOT = '0'.repeat(64);

/** Compares the secret's hash with the stored one in constant time; false when there is none. */
export function robotSecretMatches(secret: string, storedHash: string | undefined): boolean {
  const given = createHash('sha256').update(secret).digest();
  const stored = Buffer.from(storedHash ?? NO_ROBOT, 'hex');
  const equal = stored.length === given.length && timingSafeEqual(given, stored);
  return equal && storedHash !== undefined;
}
