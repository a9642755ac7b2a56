import type { AccessTokenRecord, ProjectAccess, RobotRecord, Role, UserRecord } from '../../domain/model.js';

/** Which part of the snapshot a change counter covers (projects include their memberships). */
export const SNAPSHOT_PARTS = ['users', 'projects', 'robots', 'access_tokens'] as const;
export type SnapshotPart = (typeof SNAPSHOT_PARTS)[number];

export interface ProjectEntry {
  id: number;
  public: boolean;
  /** Roles by user id, and by group name in lower case (directories compare names case-blind). */
  userRoles: Map<number, Role[]>;
  groupRoles: Map<string, Role[]>;
}

export interface SnapshotData {
  versions: Record<SnapshotPart, bigint>;
  users: Map<string, UserRecord>;
  projects: Map<string, ProjectEntry>;
  /** By full name, with their permissions. */
  robots: Map<string, RobotRecord>;
  /** Personal access tokens by the hash of the token. */
  access_tokens: Map<string, AccessTokenRecord>;
}

/**
 * What the token hot path reads, in memory: every user row and every project with its
 * memberships. Answers exactly what the SQL repositories answer for `find` and `accessFor`.
 */
export class AccessSnapshot {
  constructor(readonly data: SnapshotData) {}

  /** Before the first load: versions below any real counter, so every part loads. */
  static empty(): AccessSnapshot {
    return new AccessSnapshot({
      versions: { users: -1n, projects: -1n, robots: -1n, access_tokens: -1n },
      users: new Map(),
      projects: new Map(),
      robots: new Map(),
      access_tokens: new Map(),
    });
  }

  /** Every part has been loaded at least once. */
  get complete(): boolean {
    return SNAPSHOT_PARTS.every((part) => this.data.versions[part] >= 0n);
  }

  findUser(username: string): UserRecord | null {
    return this.data.users.get(username) ?? null;
  }

  findRobot(name: string): RobotRecord | null {
    return this.data.robots.get(name) ?? null;
  }

  findAccessToken(tokenHash: string): AccessTokenRecord | null {
    return this.data.access_tokens.get(tokenHash) ?? null;
  }

  accessFor(userId: number | null, groups: readonly string[], projects: readonly string[]): Map<string, ProjectAccess> {
    const lowered = groups.map((g) => g.toLowerCase());
    const out = new Map<string, ProjectAccess>();
    for (const name of projects) {
      const p = this.data.projects.get(name);
      if (!p) continue;
      const roles: Role[] = [...(userId === null ? [] : (p.userRoles.get(userId) ?? []))];
      const via: (string | null)[] = roles.map(() => null);
      lowered.forEach((g, i) => {
        for (const role of p.groupRoles.get(g) ?? []) {
          roles.push(role);
          via.push(groups[i] as string);
        }
      });
      out.set(name, { public: p.public, roles, groups: via });
    }
    return out;
  }

  /** A copy with one part replaced, as loaded at `version`. */
  with(part: SnapshotPart, loaded: Partial<Omit<SnapshotData, 'versions'>>, version: bigint): AccessSnapshot {
    return new AccessSnapshot({ ...this.data, ...loaded, versions: { ...this.data.versions, [part]: version } });
  }
}
