/**
 * What Portcullis reasons about: accounts, projects, memberships and the resources a token
 * names. The bottom of the house: this file imports nothing, every layer may import it.
 */

export const ROLES = ['admin', 'maintainer', 'developer', 'guest', 'limitedGuest'] as const;
export type Role = (typeof ROLES)[number];

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

/** Who a token is for, once a backend vouched for them. */
export interface Identity {
  username: string;
  userId: number;
  admin: boolean;
  /** Directory groups; project memberships may name them. */
  groups: string[];
  source: UserSource;
}
