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

/** The actions a grantee may take on repositories of one project (undefined: no such project). */
export function permittedActions(who: Grantee, name: string, project: ProjectAccess | undefined): Set<RepositoryAction> {
  const own = ownActions(who, name, project);
  if (!who.limits) return own;
  if (who.limits.projects !== null && !who.limits.projects.includes(name)) return new Set();
  return new Set([...own].filter((a) => who.limits?.actions.includes(a)));
}

function ownActions(who: Grantee, name: string, project: ProjectAccess | undefined): Set<RepositoryAction> {
  const allowed = new Set<RepositoryAction>();
  if (!project) return allowed;
  if (who.robot) {
    for (const p of who.robot) if (p.project === null || p.project === name) for (const a of p.actions) allowed.add(a);
    return allowed;
  }
  if (who.admin) return new Set(REPOSITORY_ACTIONS);
  if (project.public) allowed.add('pull');
  if (!who.anonymous) for (const role of project.roles) for (const a of ROLE_ACTIONS[role]) allowed.add(a);
  return allowed;
}

/**
 * Granted = requested ∩ permitted, resource by resource. `*` stands for every action, so it is
 * granted only where all of them are. Resources left with no action are dropped.
 */
export function grant(requested: readonly ResourceScope[], who: Grantee, projects: ReadonlyMap<string, ProjectAccess>): ResourceScope[] {
  const granted: ResourceScope[] = [];
  for (const scope of requested) {
    const permitted = permittedFor(scope, who, projects);
    const all = REPOSITORY_ACTIONS.every((a) => permitted.has(a));
    const actions = scope.actions.filter((a) => (a === '*' ? all : permitted.has(a as RepositoryAction)));
    if (actions.length > 0) granted.push({ type: scope.type, name: scope.name, actions });
  }
  return granted;
}

function permittedFor(scope: ResourceScope, who: Grantee, projects: ReadonlyMap<string, ProjectAccess>): Set<string> {
  if (scope.type === 'repository') {
    const project = projectOf(scope.name);
    return permittedActions(who, project, projects.get(project));
  }
  // The catalog lists every repository, so only system admins see it (never a robot, nor a token
  // limited to some projects).
  const unlimited = !who.limits || who.limits.projects === null;
  if (scope.type === 'registry' && scope.name === 'catalog' && who.admin && !who.robot && unlimited) return new Set(REPOSITORY_ACTIONS);
  return new Set();
}
