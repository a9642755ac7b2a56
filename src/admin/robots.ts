import { hashRobotSecret, newRobotSecret } from '../auth/robot-secrets.js';
import { InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { REPOSITORY_ACTIONS, ROBOT_PREFIX, type RepositoryAction, type RobotPermission, type RobotRecord } from '../domain/model.js';
import type { RobotPatch, Store } from '../domain/repositories.js';
import { checkProjectName } from './names.js';

/** A robot's own part of its name: robot$<project>+<short> or robot$<short>. */
const SHORT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const MAX_EXPIRY_DAYS = 3650;

export interface NewRobotRequest {
  /** The short name; the login name is made from it. */
  name: string;
  /** Set for a project robot: it belongs to the project, and its permissions name only it. */
  project?: string;
  description?: string;
  /** Days until it expires; absent, null or -1: never. 0 expires it at once. */
  expiresInDays?: number | null;
  /** A permission's project `*` means every project (system robots only). */
  permissions: { project: string; actions: RepositoryAction[] }[];
}

export interface RobotPatchRequest {
  description?: string;
  disabled?: boolean;
  expiresInDays?: number | null;
  permissions?: NewRobotRequest['permissions'];
}

/** A robot with its secret: returned only by create and refresh, never stored. */
export interface RobotWithSecret {
  robot: RobotRecord;
  secret: string;
}

/** Robot accounts (Harbor's semantics), for system admins. */
export class RobotService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(req: NewRobotRequest): Promise<RobotWithSecret> {
    if (!SHORT_NAME.test(req.name) || req.name.length > 100) {
      throw new InvalidRequestError(`invalid robot name "${req.name}": lowercase letters, digits and single . _ - separators`);
    }
    const project = req.project === undefined ? null : checkProjectName(req.project);
    const name = project === null ? `${ROBOT_PREFIX}${req.name}` : `${ROBOT_PREFIX}${project}+${req.name}`;
    const secret = newRobotSecret();
    const robot = await this.store.robots.create({
      name,
      project,
      description: req.description ?? '',
      secretHash: hashRobotSecret(secret),
      expiresAt: this.expiry(req.expiresInDays),
      permissions: permissionsOf(req.permissions, project),
    });
    return { robot, secret };
  }

  list(project?: string): Promise<RobotRecord[]> {
    return this.store.robots.list(project);
  }

  async show(name: string): Promise<RobotRecord> {
    // The database, not the snapshot: last_used_* is not part of what the snapshot reloads.
    const [robot] = (await this.store.robots.list()).filter((r) => r.name === name);
    if (!robot) throw new NotFoundError(`robot ${name} not found`);
    return robot;
  }

  async update(name: string, req: RobotPatchRequest): Promise<RobotRecord> {
    const patch: RobotPatch = { description: req.description, disabled: req.disabled };
    if (req.expiresInDays !== undefined) patch.expiresAt = this.expiry(req.expiresInDays);
    if (req.permissions) patch.permissions = permissionsOf(req.permissions, (await this.show(name)).project);
    return this.store.robots.update(name, patch);
  }

  /** A new secret; the old one stops working at once. */
  async refresh(name: string): Promise<RobotWithSecret> {
    const secret = newRobotSecret();
    return { robot: await this.store.robots.update(name, { secretHash: hashRobotSecret(secret) }), secret };
  }

  delete(name: string): Promise<void> {
    return this.store.robots.delete(name);
  }

  private expiry(days: number | null | undefined): Date | null {
    if (days === undefined || days === null || days === -1) return null;
    if (!Number.isInteger(days) || days < 0 || days > MAX_EXPIRY_DAYS) {
      throw new InvalidRequestError(`expiresInDays must be -1 (never) or 0 to ${MAX_EXPIRY_DAYS}`);
    }
    return new Date(this.now() + days * 86_400_000);
  }
}

/**
 * A project robot may act only on its own project; a system robot on named projects or on
 * every one (`*`). Each project once, each action once, at least one of each.
 */
function permissionsOf(requested: NewRobotRequest['permissions'], robotProject: string | null): RobotPermission[] {
  if (requested.length === 0) throw new InvalidRequestError('a robot needs at least one permission');
  const seen = new Set<string>();
  return requested.map(({ project, actions }) => {
    if (seen.has(project)) throw new InvalidRequestError(`project ${project} is named twice in permissions`);
    seen.add(project);
    if (robotProject !== null && project !== robotProject) {
      throw new InvalidRequestError(`a robot of project ${robotProject} can have permissions on ${robotProject} only`);
    }
    const unique = REPOSITORY_ACTIONS.filter((a) => actions.includes(a));
    if (unique.length === 0 || unique.length !== new Set(actions).size) throw new InvalidRequestError('actions: one or more of pull, push, delete');
    return { project: project === '*' ? null : checkProjectName(project), actions: unique };
  });
}
