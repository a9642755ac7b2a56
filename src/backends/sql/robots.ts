import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { RepositoryAction, RobotPermission, RobotRecord } from '../../domain/model.js';
import type { NewRobot, RobotPatch, RobotsRepository, RobotUse } from '../../domain/repositories.js';
import { recordLastUses } from './last-used.js';
import { isUniqueViolation, type Queryable, type SqlClient } from './client.js';

interface RobotRow {
  id: number;
  name: string;
  project: string | null;
  description: string;
  secret_hash: string;
  expires_at: Date | null;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
  last_used_ip: string | null;
}

interface PermissionRow {
  robot_id: number;
  project: string | null;
  actions: RepositoryAction[];
}

/**
 * Robots with their permissions, as two reads: the repository's finds and the snapshot's load
 * share it. `where` filters the robots (alias r, project alias p).
 */
export async function selectRobots(db: Queryable, where = 'true', params: readonly unknown[] = []): Promise<RobotRecord[]> {
  const robots = await db.query<RobotRow>(
    `SELECT r.id, r.name, p.name AS project, r.description, r.secret_hash, r.expires_at, r.disabled,
            r.created_at, r.updated_at, r.last_used_at, r.last_used_ip
     FROM robots r LEFT JOIN projects p ON p.id = r.project_id WHERE ${where} ORDER BY r.name`,
    params,
  );
  if (robots.length === 0) return [];
  const permissions = await db.query<PermissionRow>(
    `SELECT rp.robot_id, p.name AS project, rp.actions FROM robot_permissions rp
     LEFT JOIN projects p ON p.id = rp.project_id WHERE rp.robot_id = ANY($1::int[]) ORDER BY rp.all_projects DESC, p.name`,
    [robots.map((r) => r.id)],
  );
  const byRobot = new Map<number, RobotPermission[]>();
  for (const p of permissions) byRobot.set(p.robot_id, [...(byRobot.get(p.robot_id) ?? []), { project: p.project, actions: p.actions }]);
  return robots.map((r) => ({
    id: r.id,
    name: r.name,
    project: r.project,
    description: r.description,
    secretHash: r.secret_hash,
    expiresAt: r.expires_at,
    disabled: r.disabled,
    permissions: byRobot.get(r.id) ?? [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastUsedAt: r.last_used_at,
    lastUsedIp: r.last_used_ip,
  }));
}

/** A robot and its permissions change as one: in the caller's transaction, or in a new one. */
function atomically<T>(db: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return 'transaction' in db ? (db as SqlClient).transaction(fn) : fn(db);
}

export class SqlRobots implements RobotsRepository {
  constructor(private readonly db: Queryable) {}

  async find(name: string): Promise<RobotRecord | null> {
    return (await selectRobots(this.db, 'r.name = $1', [name]))[0] ?? null;
  }

  list(project?: string): Promise<RobotRecord[]> {
    return project === undefined ? selectRobots(this.db) : selectRobots(this.db, 'p.name = $1', [project]);
  }

  create(robot: NewRobot): Promise<RobotRecord> {
    return atomically(this.db, async (tx) => {
      const projectId = robot.project === null ? null : await projectIdOf(tx, robot.project);
      let id: number;
      try {
        const rows = await tx.query<{ id: number }>(
          `INSERT INTO robots (name, project_id, description, secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [robot.name, projectId, robot.description, robot.secretHash, robot.expiresAt],
        );
        id = (rows[0] as { id: number }).id;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`robot ${robot.name} already exists`);
        throw err;
      }
      await insertPermissions(tx, id, robot.permissions);
      return (await selectRobots(tx, 'r.id = $1', [id]))[0] as RobotRecord;
    });
  }

  update(name: string, patch: RobotPatch): Promise<RobotRecord> {
    return atomically(this.db, async (tx) => {
      const rows = await tx.query<{ id: number }>(
        `UPDATE robots SET
           description = COALESCE($2, description),
           disabled = COALESCE($3, disabled),
           expires_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE expires_at END,
           secret_hash = COALESCE($6, secret_hash),
           updated_at = now()
         WHERE name = $1 RETURNING id`,
        [name, patch.description ?? null, patch.disabled ?? null, patch.expiresAt !== undefined, patch.expiresAt ?? null, patch.secretHash ?? null],
      );
      const id = rows[0]?.id;
      if (id === undefined) throw new NotFoundError(`robot ${name} not found`);
      if (patch.permissions) {
        await tx.query('DELETE FROM robot_permissions WHERE robot_id = $1', [id]);
        await insertPermissions(tx, id, patch.permissions);
      }
      return (await selectRobots(tx, 'r.id = $1', [id]))[0] as RobotRecord;
    });
  }

  async delete(name: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM robots WHERE name = $1 RETURNING id', [name]);
    if (rows.length === 0) throw new NotFoundError(`robot ${name} not found`);
  }

  recordUses(uses: readonly RobotUse[]): Promise<void> {
    return recordLastUses(this.db, 'robots', uses);
  }
}

async function projectIdOf(tx: Queryable, name: string): Promise<number> {
  const rows = await tx.query<{ id: number }>('SELECT id FROM projects WHERE name = $1', [name]);
  if (!rows[0]) throw new NotFoundError(`project ${name} not found`);
  return rows[0].id;
}

async function insertPermissions(tx: Queryable, robotId: number, permissions: readonly RobotPermission[]): Promise<void> {
  for (const p of permissions) {
    const id = p.project === null ? null : await projectIdOf(tx, p.project);
    await tx.query('INSERT INTO robot_permissions (robot_id, project_id, all_projects, actions) VALUES ($1, $2, $3, $4::text[])', [
      robotId,
      id,
      id === null,
      p.actions,
    ]);
  }
}
