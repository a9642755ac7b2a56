import type { Identity, ResourceScope } from '../domain/model.js';
import type { ProjectsRepository } from '../domain/repositories.js';
import { type Decision, decide, projectOf } from './permissions.js';

/**
 * Loads what the permission model needs for the requested repositories, in one query, and
 * decides. The realm and `explain` both come through here: the rule an explanation names is
 * the rule that decided the token.
 */
export class Authorizer {
  constructor(private readonly projects: ProjectsRepository) {}

  async decide(identity: Identity | null, requested: readonly ResourceScope[]): Promise<Decision> {
    if (requested.length === 0) return { granted: [], actions: [] };
    const names = [...new Set(requested.filter((s) => s.type === 'repository').map((s) => projectOf(s.name)))];
    // A robot has no memberships: the read only tells which projects exist.
    const userId = identity && !identity.robot ? identity.userId : null;
    const access = await this.projects.accessFor(userId, identity?.groups ?? [], names);
    return decide(
      requested,
      { admin: identity?.admin ?? false, anonymous: identity === null, robot: identity?.robot?.permissions, limits: identity?.accessToken?.limits },
      access,
    );
  }

  async authorize(identity: Identity | null, requested: readonly ResourceScope[]): Promise<ResourceScope[]> {
    return (await this.decide(identity, requested)).granted;
  }
}
