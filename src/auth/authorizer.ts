import type { Identity, ResourceScope } from '../domain/model.js';
import type { ProjectsRepository } from '../domain/repositories.js';
import { grant, projectOf } from './permissions.js';

/** Loads what the permission model needs for the requested repositories, in one query. */
export class Authorizer {
  constructor(private readonly projects: ProjectsRepository) {}

  async authorize(identity: Identity | null, requested: readonly ResourceScope[]): Promise<ResourceScope[]> {
    if (requested.length === 0) return [];
    const names = [...new Set(requested.filter((s) => s.type === 'repository').map((s) => projectOf(s.name)))];
    // A robot has no memberships: the read only tells which projects exist.
    const userId = identity && !identity.robot ? identity.userId : null;
    const access = await this.projects.accessFor(userId, identity?.groups ?? [], names);
    return grant(
      requested,
      { admin: identity?.admin ?? false, anonymous: identity === null, robot: identity?.robot?.permissions, limits: identity?.accessToken?.limits },
      access,
    );
  }
}
