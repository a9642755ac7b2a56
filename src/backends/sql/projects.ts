import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { MemberRecord, Principal, ProjectAccess, ProjectRecord, Role } from '../../domain/model.js';
import type { ProjectsRepository } from '../../domain/repositories.js';
import { isUniqueViolation, type Queryable } from './client.js';

interface ProjectRow {
  id: number;
  name: string;
  public: boolean;
  created_at: Date;
}

const toProject = (r: ProjectRow): ProjectRecord => ({ id: r.id, name: r.name, public: r.public, createdAt: r.created_at });

export class SqlProjects implements ProjectsRepository {
  constructor(private readonly db: Queryable) {}

  async find(name: string): Promise<ProjectRecord | null> {
    const rows = await this.db.query<ProjectRow>('SELECT id, name, public, created_at FROM projects WHERE name = $1', [name]);
    return rows[0] ? toProject(rows[0]) : null;
  }

  async list(): Promise<ProjectRecord[]> {
    return (await this.db.query<ProjectRow>('SELECT id, name, public, created_at FROM projects ORDER BY name')).map(toProject);
  }

  async create(name: string, isPublic: boolean): Promise<ProjectRecord> {
    try {
      const rows = await this.db.query<ProjectRow>('INSERT INTO projects (name, public) VALUES ($1, $2) RETURNING id, name, public, created_at', [
        name,
        isPublic,
      ]);
      return toProject(rows[0] as ProjectRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`project ${name} already exists`);
      throw err;
    }
  }

  async setPublic(name: string, isPublic: boolean): Promise<ProjectRecord> {
    const rows = await this.db.query<ProjectRow>('UPDATE projects SET public = $2, updated_at = now() WHERE name = $1 RETURNING id, name, public, created_at', [
      name,
      isPublic,
    ]);
    if (!rows[0]) throw new NotFoundError(`project ${name} not found`);
    return toProject(rows[0]);
  }

  async delete(name: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM projects WHERE name = $1 RETURNING id', [name]);
    if (rows.length === 0) throw new NotFoundError(`project ${name} not found`);
  }

  async members(project: string): Promise<MemberRecord[]> {
    const p = await this.require(project);
    const rows = await this.db.query<{ username: string | null; group_name: string | null; role: Role }>(
      `SELECT u.username, m.group_name, m.role FROM project_members m
       LEFT JOIN users u ON u.id = m.user_id WHERE m.project_id = $1
       ORDER BY m.group_name NULLS FIRST, u.username`,
      [p.id],
    );
    return rows.map((r) => ({
      principal: r.group_name !== null ? { kind: 'group', name: r.group_name } : { kind: 'user', name: r.username as string },
      role: r.role,
    }));
  }

  async setMember(project: string, principal: Principal, role: Role): Promise<void> {
    const p = await this.require(project);
    if (principal.kind === 'group') {
      await this.db.query(
        `INSERT INTO project_members (project_id, group_name, role) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, group_name) WHERE group_name IS NOT NULL DO UPDATE SET role = EXCLUDED.role`,
        [p.id, principal.name, role],
      );
      return;
    }
    const rows = await this.db.query(
      `INSERT INTO project_members (project_id, user_id, role)
       SELECT $1, id, $3 FROM users WHERE username = $2
       ON CONFLICT (project_id, user_id) WHERE user_id IS NOT NULL DO UPDATE SET role = EXCLUDED.role
       RETURNING id`,
      [p.id, principal.name, role],
    );
    if (rows.length === 0) throw new NotFoundError(`user ${principal.name} not found`);
  }

  async removeMember(project: string, principal: Principal): Promise<void> {
    const p = await this.require(project);
    const rows =
      principal.kind === 'group'
        ? await this.db.query('DELETE FROM project_members WHERE project_id = $1 AND group_name = $2 RETURNING id', [p.id, principal.name])
        : await this.db.query('DELETE FROM project_members m USING users u WHERE m.project_id = $1 AND m.user_id = u.id AND u.username = $2 RETURNING m.id', [
            p.id,
            principal.name,
          ]);
    if (rows.length === 0) throw new NotFoundError(`${principal.kind} ${principal.name} is not a member of ${project}`);
  }

  /** One query: projects joined with the memberships of the user and of any of its groups. */
  async accessFor(userId: number | null, groups: readonly string[], projects: readonly string[]): Promise<Map<string, ProjectAccess>> {
    if (projects.length === 0) return new Map();
    // Roles and the group each is held through, in one order (the user's own first).
    const rows = await this.db.query<{ name: string; public: boolean; roles: Role[] | null; groups: (string | null)[] | null }>(
      `SELECT p.name, p.public,
         array_agg(m.role ORDER BY m.group_name NULLS FIRST, m.id) FILTER (WHERE m.id IS NOT NULL) AS roles,
         array_agg(m.group_name ORDER BY m.group_name NULLS FIRST, m.id) FILTER (WHERE m.id IS NOT NULL) AS groups
       FROM projects p
       LEFT JOIN project_members m ON m.project_id = p.id
         AND (m.user_id = $1 OR lower(m.group_name) = ANY($2::text[]))
       WHERE p.name = ANY($3::text[])
       GROUP BY p.id, p.name, p.public`,
      [userId, groups.map((g) => g.toLowerCase()), [...projects]],
    );
    return new Map(rows.map((r) => [r.name, { public: r.public, roles: r.roles ?? [], groups: r.groups ?? [] }]));
  }

  private async require(name: string): Promise<ProjectRecord> {
    const p = await this.find(name);
    if (!p) throw new NotFoundError(`project ${name} not found`);
    return p;
  }
}
