/**
 * What Portcullis reasons about: accounts, projects, memberships and the resources a token
 * names. The bottom of the house: this file imports nothing, every layer may import it.
 */

export const ROLES = ['admin', 'maintainer', 'developer', 'guest', 'limitedGuest'] as const;
export type Role = (typeof ROLES)[number];

/** What the registry checks: GET/HEAD need pull, writes need push, DELETE needs delete. */
export const REPOSITORY_ACTIONS = ['pull', 'push', 'delete'] as const;
export type RepositoryAction = (typeof REPOSITORY_ACTIONS)[number];

/** A repository's project is its first path segment; a single-segment name lives here. */
export const DEFAULT_PROJECT = 'library';

export type UserSource = 'local' | 'ldap';

export interface UserRecord {
  id: number;
  username: string;
  /** null for users a directory verifies. */
  passwordHash: string | null;
  source: UserSource;
  admin: boolean;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProjectRecord {
  id: number;
  name: string;
  public: boolean;
  createdAt: Date;
}

/** A project member: a user of the store, or a directory group by name. */
export type Principal = { kind: 'user'; name: string } | { kind: 'group'; name: string };

export interface MemberRecord {
  principal: Principal;
  role: Role;
}

/** What the authorizer needs to know about one project for one identity. */
export interface ProjectAccess {
  public: boolean;
  roles: Role[];
  /** For each role, the directory group it is held through (null: the user's own membership). */
  groups?: (string | null)[];
}

export interface RefreshTokenRecord {
  user: UserRecord;
  expiresAt: Date | null;
}

/** One requested or granted resource: `type:name:actions`, the class already dropped from the type. */
export interface ResourceScope {
  type: string;
  name: string;
  actions: string[];
}

/** Robot login names start with this: `robot$team+ci` (a project robot), `robot$deployer` (a system robot). */
export const ROBOT_PREFIX = 'robot$';

/** What a robot may do on one project, or on every project (`project: null`, system robots only). */
export interface RobotPermission {
  project: string | null;
  actions: RepositoryAction[];
}

/** A robot account: a secret instead of a password, permissions instead of memberships. */
export interface RobotRecord {
  id: number;
  /** The full login name, robot$... */
  name: string;
  /** The project a project robot belongs to (deleted with it); null for a system robot. */
  project: string | null;
  description: string;
  /** Hex SHA-256 of the secret: the store never holds one that could be replayed. */
  secretHash: string;
  /** null: never. */
  expiresAt: Date | null;
  disabled: boolean;
  permissions: RobotPermission[];
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
}

/** A personal access token starts with this: `pcp_...`, usable as its owner's password. */
export const ACCESS_TOKEN_PREFIX = 'pcp_';

/**
 * What a personal access token may reach at most; its owner's rights at the time of each request
 * narrow it further. `projects: null` means every project the owner can reach.
 */
export interface AccessTokenLimits {
  projects: readonly string[] | null;
  actions: readonly RepositoryAction[];
}

/** A personal access token: named, owned by a user, limited, expiring. */
export interface AccessTokenRecord {
  id: number;
  /** The owner's username. */
  owner: string;
  ownerId: number;
  name: string;
  /** Hex SHA-256 of the token. */
  tokenHash: string;
  limits: AccessTokenLimits;
  /** null: never. */
  expiresAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
}

/** Who a token is for, once a backend vouched for them. */
export interface Identity {
  username: string;
  /** 0 for a robot, which has no user row (ids start at 1). */
  userId: number;
  admin: boolean;
  /** Directory groups; project memberships may name them. */
  groups: string[];
  source: UserSource;
  /** Set for a robot: what it may do is its permissions, never memberships or public pulls. */
  robot?: { id: number; permissions: readonly RobotPermission[] };
  /** Set when the owner logged in with a personal access token: their rights, narrowed to its limits. */
  accessToken?: { id: number; name: string; limits: AccessTokenLimits };
}
