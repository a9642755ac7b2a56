export const ROLES = ['admin', 'maintainer', 'developer', 'guest', 'limitedGuest'] as const;
export type Role = (typeof ROLES)[number];

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
