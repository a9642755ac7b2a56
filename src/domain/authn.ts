import type { LoginRefusal } from './audit.js';
import type { Identity, UserRecord } from './model.js';
import type { Secret } from './secret.js';

/**
 * A backend's answer: it knows the user and the password is right, it knows the user and the
 * password is wrong (or the account is disabled), or the user is not its to judge. The reason
 * (default bad_password) is for the audit and the log, never for the client.
 */
export type AuthOutcome = { kind: 'ok'; identity: Identity } | { kind: 'denied'; reason?: LoginRefusal } | { kind: 'unknown' };

/** What the chain made of a login. */
export type LoginResult = { identity: Identity } | { identity: null; refused: LoginRefusal };

/** One source of accounts in the chain (the store's own users, a directory). */
/**
 * Called right before a credential check that costs something (a bcrypt, a directory bind):
 * the login throttle refuses there, so a cached login is never slowed and a throttled one
 * never reaches bcrypt. Throws ThrottledError to refuse.
 */
export type BeforeCheck = () => Promise<void>;

export interface Authenticator {
  readonly name: string;
  /** Throws BackendUnavailableError only when it could not answer at all. */
  authenticate(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<AuthOutcome>;
  /**
   * Re-reads what an identity token stands for without a password (groups may have changed).
   * Returns null when the user is no longer valid.
   */
  refresh?(user: UserRecord): Promise<Identity | null>;
  close?(): Promise<void>;
}

/** Who a directory vouched for: the name as the directory spells it, and group names. */
export interface DirectoryUser {
  username: string;
  groups: string[];
  /** Where the directory keeps the entry, when it was read (diagnostics: `portcullis ldap test`). */
  dn?: string;
}

/** Whether the directory knows a group by the name members use (`group:NAME`). */
export type GroupCheck = { kind: 'found' } | { kind: 'missing' } | { kind: 'unchecked'; reason: string };

/** The directory as the admin rules see it: group names checked when a `group:` member is set. */
export interface GroupDirectory {
  checkGroup(name: string): Promise<GroupCheck>;
}

export type DirectoryLogin = { kind: 'ok'; user: DirectoryUser } | { kind: 'denied' } | { kind: 'unknown' };

/** An LDAP directory as the authenticator sees it; backends/ldap talks the protocol. */
export interface Directory {
  /** Throws BackendUnavailableError when no server could answer. */
  login(username: string, password: Secret): Promise<DirectoryLogin>;
  /** The user's current groups without a password; null when the entry is gone. */
  lookUp(username: string): Promise<DirectoryUser | null>;
  close(): Promise<void>;
}

/** The whole directory client: logins, group checks for the admin rules, and its health. */
export interface DirectoryService extends Directory, GroupDirectory {
  /** Binds as the service account now (at start): undefined when it works, or there is none. */
  checkServiceAccount(): Promise<string | undefined>;
  /**
   * Why the service account cannot bind, in words (`... invalid credentials (49)`), as last
   * found; undefined while it works. Readiness reads this; it never binds.
   */
  serviceAccountProblem(): string | undefined;
}

/** Computes and checks bcrypt hashes somewhere off the event loop. */
export interface BcryptEngine {
  hash(password: string, cost: number): Promise<string>;
  /** False for a wrong password and for a malformed hash. */
  verify(password: string, hash: string): Promise<boolean>;
}
