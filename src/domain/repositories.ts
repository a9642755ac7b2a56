import type { AuditRepository } from './audit.js';
import type {
  AccessTokenLimits,
  AccessTokenRecord,
  MemberRecord,
  Principal,
  ProjectAccess,
  ProjectRecord,
  RefreshTokenRecord,
  RobotPermission,
  RobotRecord,
  Role,
  UserRecord,
  UserSource,
} from './model.js';

export interface NewUser {
  username: string;
  passwordHash: string | null;
  source: UserSource;
  admin: boolean;
}

export interface UserPatch {
  passwordHash?: string;
  admin?: boolean;
  disabled?: boolean;
}

/** Accounts. Lookups by name are exact; NotFoundError/ConflictError for the caller's mistakes. */
export interface UsersRepository {
  find(username: string): Promise<UserRecord | null>;
  /** The account whose name equals this one ignoring case, if any. */
  findCaseless(username: string): Promise<UserRecord | null>;
  /** Groups of names that differ only in case (made before such names were refused). */
  lookAlikes(): Promise<string[][]>;
  list(): Promise<UserRecord[]>;
  count(): Promise<number>;
  countActiveAdmins(): Promise<number>;
  create(user: NewUser): Promise<UserRecord>;
  /** Records a directory user on first login; returns the existing row when there is one. */
  ensureExternal(username: string, source: UserSource): Promise<UserRecord>;
  update(username: string, patch: UserPatch): Promise<UserRecord>;
  delete(username: string): Promise<void>;
}

export interface ProjectsRepository {
  find(name: string): Promise<ProjectRecord | null>;
  list(): Promise<ProjectRecord[]>;
  create(name: string, isPublic: boolean): Promise<ProjectRecord>;
  setPublic(name: string, isPublic: boolean): Promise<ProjectRecord>;
  delete(name: string): Promise<void>;
  members(project: string): Promise<MemberRecord[]>;
  setMember(project: string, principal: Principal, role: Role): Promise<void>;
  removeMember(project: string, principal: Principal): Promise<void>;
  /**
   * The hot path's one read: for each named project that exists, whether it is public and the
   * roles the user holds in it directly or through one of `groups` (compared case-blind).
   */
  accessFor(userId: number | null, groups: readonly string[], projects: readonly string[]): Promise<Map<string, ProjectAccess>>;
}

/** Identity tokens, by the SHA-256 of the token: the store never holds one that could be replayed. */
export interface RefreshTokensRepository {
  create(tokenHash: string, userId: number, clientId: string, expiresAt: Date | null): Promise<void>;
  /** The token's user and expiry; records the use. */
  find(tokenHash: string): Promise<RefreshTokenRecord | null>;
  revokeForUser(userId: number): Promise<number>;
  /** Revokes all but the newest `keep` of the user's tokens (of one client, when given). */
  keepNewest(userId: number, keep: number, clientId?: string): Promise<number>;
  deleteExpired(now: Date): Promise<number>;
}

export interface NewRobot {
  name: string;
  project: string | null;
  description: string;
  secretHash: string;
  expiresAt: Date | null;
  permissions: RobotPermission[];
}

export interface RobotPatch {
  description?: string;
  disabled?: boolean;
  /** null: never expires. */
  expiresAt?: Date | null;
  secretHash?: string;
  /** Replaces every permission. */
  permissions?: RobotPermission[];
}

export interface RobotUse {
  id: number;
  at: Date;
  ip: string;
}

/** Robot accounts by full name; NotFoundError for a missing robot or a permission's missing project. */
export interface RobotsRepository {
  find(name: string): Promise<RobotRecord | null>;
  /** Every robot, or the project robots of one project. */
  list(project?: string): Promise<RobotRecord[]>;
  create(robot: NewRobot): Promise<RobotRecord>;
  update(name: string, patch: RobotPatch): Promise<RobotRecord>;
  delete(name: string): Promise<void>;
  /** Records when and from where robots last logged in (the caller batches them). */
  recordUses(uses: readonly RobotUse[]): Promise<void>;
}

export interface NewAccessToken {
  ownerId: number;
  name: string;
  tokenHash: string;
  limits: AccessTokenLimits;
  expiresAt: Date | null;
}

/** Personal access tokens; they go with their owner (ON DELETE CASCADE). */
export interface AccessTokensRepository {
  /** The token with this hash: the hot path's one read. */
  findByHash(tokenHash: string): Promise<AccessTokenRecord | null>;
  /** One owner's tokens, or every token. */
  list(ownerId?: number): Promise<AccessTokenRecord[]>;
  /** ConflictError when the owner already has a token of that name. */
  create(token: NewAccessToken): Promise<AccessTokenRecord>;
  /** NotFoundError when the owner has no such token. */
  delete(ownerId: number, id: number): Promise<void>;
  /** Records when and from where tokens were last used (the caller batches them). */
  recordUses(uses: readonly RobotUse[]): Promise<void>;
}

export interface Repositories {
  users: UsersRepository;
  projects: ProjectsRepository;
  refreshTokens: RefreshTokensRepository;
  robots: RobotsRepository;
  accessTokens: AccessTokensRepository;
}

/** Decisions that must not interleave across replicas, each with its own lock. */
export type SerializedDecision = 'bootstrap' | 'admins' | 'usernames';

/** What one replica signs tokens with and publishes, as it last reported. */
export interface SigningKeyReport {
  /** Random per process: a restarted replica is a new one. */
  instanceId: string;
  host: string;
  pid: number;
  signingKid: string;
  publishedKids: string[];
}

/**
 * Every replica on one store heartbeats its keys here, so a replica signing with a key the
 * others do not publish (a keys directory of its own, a rotation it missed) is found.
 */
export interface SigningKeysRepository {
  /**
   * Records `mine` as seen now, by the store's clock; forgets replicas silent for
   * `forgetSeconds`; returns the other replicas heard from within `liveSeconds`.
   */
  report(mine: SigningKeyReport, liveSeconds: number, forgetSeconds: number): Promise<SigningKeyReport[]>;
  remove(instanceId: string): Promise<void>;
}

/** Where users, projects and identity tokens live: the embedded database or PostgreSQL. */
export interface Store extends Repositories {
  readonly kind: 'embedded' | 'postgres';
  /** Shared by every replica on PostgreSQL; in this process on the embedded store. */
  readonly loginFailures: LoginFailuresRepository;
  /** Written in batches by the audit writer, never on the hot path. */
  readonly audit: AuditRepository;
  /** The keys each replica signs with and publishes. */
  readonly signingKeys: SigningKeysRepository;
  /**
   * Runs fn in one transaction that holds the decision's lock, so a check and the change it
   * allows happen as one step even when several replicas decide at once.
   */
  serialized<T>(decision: SerializedDecision, fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Readiness: throws BackendUnavailableError when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Failed logins by throttle key: how many, and when the last one was. */
export interface FailureCount {
  failures: number;
  lastFailureAt: number;
}

/**
 * The login throttle's counters. On PostgreSQL every replica shares them; the embedded store
 * keeps them in memory. Failures older than `forgetBefore` (epoch ms) count as none.
 */
export interface LoginFailuresRepository {
  get(keys: readonly string[], forgetBefore: number): Promise<Map<string, FailureCount>>;
  /** Adds one failure to each key at `now`, starting from zero where the last is forgotten. */
  increment(keys: readonly string[], now: number, forgetBefore: number): Promise<Map<string, FailureCount>>;
  reset(key: string): Promise<void>;
  deleteOlderThan(forgetBefore: number): Promise<number>;
}
