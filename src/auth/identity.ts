import type { Secret } from '../secret.js';
import type { UserRecord, UserSource } from '../backends/types.js';

/** Who a token is for, once a backend vouched for them. */
export interface Identity {
  username: string;
  userId: number;
  admin: boolean;
  /** Directory groups; project memberships may name them. */
  groups: string[];
  source: UserSource;
}

/**
 * A backend's answer: it knows the user and the password is right, it knows the user and the
 * password is wrong (or the account is disabled), or the user is not its to judge.
 */
export type AuthOutcome = { kind: 'ok'; identity: Identity } | { kind: 'denied' } | { kind: 'unknown' };

export interface Authenticator {
  readonly name: string;
  /** Throws BackendUnavailableError only when it could not answer at all. */
  authenticate(username: string, password: Secret): Promise<AuthOutcome>;
  /**
   * Re-reads what an identity token stands for without a password (groups may have changed).
   * Returns null when the user is no longer valid.
   */
  refresh?(user: UserRecord): Promise<Identity | null>;
}
