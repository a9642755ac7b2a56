import type { Static } from '@sinclair/typebox';
import type { Me } from '../../admin/self-service.js';
import type { AccessTokenRecord, MemberRecord, Principal, ProjectRecord, RobotRecord, UserRecord } from '../../domain/model.js';
import type * as S from './schemas.js';

/** Response shapes, derived from the route schemas so the two cannot drift. */
export type UserView = Static<typeof S.User>;
export type ProjectView = Static<typeof S.Project>;
export type MemberView = Static<typeof S.Member>;
export type MeView = Static<typeof S.Me>;
export type RobotView = Static<typeof S.Robot>;
export type AccessTokenView = Static<typeof S.AccessToken>;

export const userView = (u: UserRecord): UserView => ({
  username: u.username,
  admin: u.admin,
  disabled: u.disabled,
  source: u.source,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

export const meView = (me: Me): MeView => ({ ...userView(me.user), admin: me.admin, groups: me.groups });

export const projectView = (p: ProjectRecord): ProjectView => ({ name: p.name, public: p.public, createdAt: p.createdAt.toISOString() });

export const memberView = (m: MemberRecord): MemberView => ({ kind: m.principal.kind, name: m.principal.name, role: m.role });

/** The URL names a member as `group:NAME` for a directory group, anything else is a username. */
export function parsePrincipal(raw: string): Principal {
  return raw.startsWith('group:') ? { kind: 'group', name: raw.slice('group:'.length) } : { kind: 'user', name: raw };
}

/** Never the secret's hash: a robot's secret is shown once, by create and refresh. */
export const robotView = (r: RobotRecord): RobotView => ({
  name: r.name,
  project: r.project,
  description: r.description,
  disabled: r.disabled,
  expiresAt: r.expiresAt?.toISOString() ?? null,
  permissions: r.permissions.map((p) => ({ project: p.project ?? '*', actions: p.actions })),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  lastUsedIp: r.lastUsedIp,
});

/** Never the token nor its hash: a token is shown once, by create. */
export const accessTokenView = (t: AccessTokenRecord): AccessTokenView => ({
  id: t.id,
  owner: t.owner,
  name: t.name,
  projects: t.limits.projects === null ? null : [...t.limits.projects],
  actions: [...t.limits.actions],
  expiresAt: t.expiresAt?.toISOString() ?? null,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  lastUsedIp: t.lastUsedIp,
});
