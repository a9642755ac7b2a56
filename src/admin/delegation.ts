import { DeniedError } from '../domain/errors.js';
import type { Identity } from '../domain/model.js';
import type { ProjectsRepository } from '../domain/repositories.js';

/**
 * Who may manage a project's members and robots: system admins, and the project's own `admin`
 * members (directly or through a directory group). Asked of the store at each call, so a
 * demoted project admin loses it at once.
 */
export class ProjectAdmins {
  constructor(private readonly projects: Pick<ProjectsRepository, 'accessFor'>) {}

  async mayManage(caller: Identity, project: string): Promise<boolean> {
    if (caller.admin) return true;
    if (caller.robot || caller.accessToken) return false;
    const access = await this.projects.accessFor(caller.userId, caller.groups, [project]);
    return access.get(project)?.roles.includes('admin') ?? false;
  }

  /** DeniedError (403) unless the caller may manage the project. */
  async check(caller: Identity, project: string | null): Promise<void> {
    if (project === null ? caller.admin : await this.mayManage(caller, project)) return;
    throw new DeniedError(project === null ? 'only system admins may manage system robots' : `only system admins and admins of project ${project} may do that`);
  }
}
