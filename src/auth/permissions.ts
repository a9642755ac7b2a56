import type { DenialReason } from '../domain/audit.js';
import {
  type AccessTokenLimits,
  DEFAULT_PROJECT,
  type ProjectAccess,
  REPOSITORY_ACTIONS,
  type RepositoryAction,
  type ResourceScope,
  type Role,
  type RobotPermission,
} from '../domain/model.js';

export { REPOSITORY_ACTIONS, type RepositoryAction };

const ROLE_ACTIONS: Record<Role, readonly RepositoryAction[]> = {
  admin: ['pull', 'push', 'delete'],
  maintainer: ['pull', 'push', 'delete'],
  developer: ['pull', 'push'],
  guest: ['pull'],
  limitedGuest: ['pull'],
};

const LACKS: Record<RepositoryAction, DenialReason> = { pull: 'role_lacks_pull', push: 'role_lacks_push', delete: 'role_lacks_delete' };

/** A repository's project is its first path segment; a single-segment name lives in `library`. */
export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? DEFAULT_PROJECT : repository.slice(0, slash);
}

export interface Grantee {
  admin: boolean;
  anonymous: boolean;
  /** A robot's permissions: all it may do, whatever the project's roles or visibility say. */
  robot?: readonly RobotPermission[];
  /** A personal access token's limits: what the grantee's own rights are narrowed to. */
  limits?: AccessTokenLimits;
}

/** What granted an action. */
export type GrantRule = 'system_admin' | 'role' | 'public_project' | 'robot_permission';

/** One requested action on one resource: granted or not, and the rule or reason that decided. */
export interface ActionDecision {
  type: string;
  name: string;
  action: string;
  granted: boolean;
  rule: GrantRule | DenialReason;
  /** The project the rule looked at (repositories only). */
  project?: string;
  /** `role`: the role that granted; `role_lacks_*`: the caller's best role there. */
  role?: Role;
  /** The directory group the role is held through; absent: the user's own membership. */
  group?: string;
  /** `robot_permission`: the permission's project, `*` for every project. */
  permission?: string;
}

/** The authorizer's answer: what goes into the token, and why for every requested action. */
export interface Decision {
  granted: ResourceScope[];
  actions: ActionDecision[];
}

type Verdict = Omit<ActionDecision, 'type' | 'name' | 'action'>;

/** Why one repository action is granted or not, to a grantee, in one project (undefined: no such project). */
function judge(who: Grantee, name: string, project: ProjectAccess | undefined, action: RepositoryAction): Verdict {
  const own = ownVerdict(who, name, project, action);
  // A personal access token narrows what its owner may do; it never adds.
  if (!own.granted || !who.limits) return own;
  const { projects, actions } = who.limits;
  if ((projects !== null && !projects.includes(name)) || !actions.includes(action)) return { granted: false, rule: 'token_limits', project: name };
  return own;
}

function ownVerdict(who: Grantee, name: string, project: ProjectAccess | undefined, action: RepositoryAction): Verdict {
  if (!project) return { granted: false, rule: 'no_such_project', project: name };
  if (who.robot) {
    const p = who.robot.find((r) => (r.project === null || r.project === name) && r.actions.includes(action));
    return p
      ? { granted: true, rule: 'robot_permission', project: name, permission: p.project ?? '*' }
      : { granted: false, rule: 'robot_lacks_permission', project: name };
  }
  if (who.admin) return { granted: true, rule: 'system_admin', project: name };
  if (!who.anonymous) {
    // The user's own membership first, then groups, in the order the store gave them.
    let best: Verdict | undefined;
    for (let i = 0; i < project.roles.length; i++) {
      const role = project.roles[i] as Role;
      const group = project.groups?.[i] ?? undefined;
      if (!ROLE_ACTIONS[role].includes(action)) continue;
      if (!best || (best.group !== undefined && group === undefined)) best = { granted: true, rule: 'role', project: name, role, ...(group ? { group } : {}) };
    }
    if (best) return best;
  }
  if (project.public && action === 'pull') return { granted: true, rule: 'public_project', project: name };
  if (who.anonymous) return { granted: false, rule: project.public ? 'not_a_member' : 'project_private', project: name };
  const held = project.roles.reduce<Role | undefined>((a, r) => (a && ROLE_ACTIONS[a].length >= ROLE_ACTIONS[r].length ? a : r), undefined);
  return held ? { granted: false, rule: LACKS[action], project: name, role: held } : { granted: false, rule: 'not_a_member', project: name };
}

function isRepositoryAction(a: string): a is RepositoryAction {
  return (REPOSITORY_ACTIONS as readonly string[]).includes(a);
}

/** Every action of one requested resource, judged. `*` is granted only where all three are. */
function judgeScope(scope: ResourceScope, who: Grantee, projects: ReadonlyMap<string, ProjectAccess>): Verdict[] {
  let verdictOf: (a: RepositoryAction) => Verdict;
  if (scope.type === 'repository') {
    const name = projectOf(scope.name);
    const project = projects.get(name);
    verdictOf = (a) => judge(who, name, project, a);
  } else if (scope.type === 'registry' && scope.name === 'catalog') {
    // The catalog lists every repository, so only system admins see it (never a robot, nor a
    // token limited to some projects).
    const admin = who.admin && !who.robot && (!who.limits || who.limits.projects === null);
    verdictOf = () => (admin ? { granted: true, rule: 'system_admin' } : { granted: false, rule: 'admin_only' });
  } else {
    verdictOf = () => ({ granted: false, rule: 'unknown_resource' });
  }
  const cache = new Map<RepositoryAction, Verdict>();
  const of = (a: RepositoryAction) => {
    let v = cache.get(a);
    if (!v) {
      v = verdictOf(a);
      cache.set(a, v);
    }
    return v;
  };
  return scope.actions.map((a): Verdict => {
    if (a === '*') {
      const all = REPOSITORY_ACTIONS.map(of);
      const refused = all.find((v) => !v.granted);
      if (!refused) return all[2] as Verdict;
      return refused.rule === 'no_such_project' || refused.rule === 'unknown_resource' || refused.rule === 'admin_only'
        ? refused
        : { ...refused, rule: 'not_every_action' };
    }
    return isRepositoryAction(a) ? of(a) : { granted: false, rule: 'unknown_resource' };
  });
}

/**
 * Granted = requested ∩ permitted, resource by resource, with the rule behind every action.
 * `*` stands for every action, so it is granted only where all of them are. Resources left
 * with no action are dropped from the grant.
 */
export function decide(requested: readonly ResourceScope[], who: Grantee, projects: ReadonlyMap<string, ProjectAccess>): Decision {
  const granted: ResourceScope[] = [];
  const actions: ActionDecision[] = [];
  for (const scope of requested) {
    const verdicts = judgeScope(scope, who, projects);
    const kept: string[] = [];
    scope.actions.forEach((action, i) => {
      const v = verdicts[i] as Verdict;
      actions.push({ type: scope.type, name: scope.name, action, ...v });
      if (v.granted) kept.push(action);
    });
    if (kept.length > 0) granted.push({ type: scope.type, name: scope.name, actions: kept });
  }
  return { granted, actions };
}

/** The grant alone. */
export function grant(requested: readonly ResourceScope[], who: Grantee, projects: ReadonlyMap<string, ProjectAccess>): ResourceScope[] {
  return decide(requested, who, projects).granted;
}

/** The actions a grantee may take on repositories of one project (undefined: no such project). */
export function permittedActions(who: Grantee, name: string, project: ProjectAccess | undefined): Set<RepositoryAction> {
  return new Set(REPOSITORY_ACTIONS.filter((a) => judge(who, name, project, a).granted));
}
