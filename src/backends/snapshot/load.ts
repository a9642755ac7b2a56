import type { Role } from '../../domain/model.js';
import { selectAccessTokens } from '../sql/access-tokens.js';
import type { Queryable, SqlClient } from '../sql/client.js';
import { selectRobots } from '../sql/robots.js';
import { USER_COLUMNS, toUser } from '../sql/users.js';
import { type ProjectEntry, SNAPSHOT_PARTS, type SnapshotData, type SnapshotPart } from './access-snapshot.js';

type Loaded<P extends SnapshotPart> = Pick<SnapshotData, P> & { version: bigint };

async function versionOf(tx: Queryable, part: SnapshotPart): Promise<bigint> {
  const rows = await tx.query<{ version: string }>('SELECT version::text AS version FROM change_counters WHERE name = $1', [part]);
  return BigInt(rows[0]?.version ?? '0');
}

/** The current counters, for the poll that decides whether a reload is due. */
export async function loadVersions(db: Queryable): Promise<Record<SnapshotPart, bigint>> {
  const rows = await db.query<{ name: SnapshotPart; version: string }>('SELECT name, version::text AS version FROM change_counters');
  const get = (part: SnapshotPart) => BigInt(rows.find((r) => r.name === part)?.version ?? '0');
  return Object.fromEntries(SNAPSHOT_PARTS.map((part) => [part, get(part)])) as Record<SnapshotPart, bigint>;
}

/**
 * Reads one part and its counter in one REPEATABLE READ transaction, so the rows are exactly
 * those of that version: a write committed meanwhile shows up as a newer counter, never as half
 * a change.
 */
export function loadPart<P extends SnapshotPart>(db: SqlClient, part: P): Promise<Loaded<P>> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const version = await versionOf(tx, part);
    if (part === 'users') {
      const rows = await tx.query<Parameters<typeof toUser>[0]>(`SELECT ${USER_COLUMNS} FROM users u`);
      return { version, users: new Map(rows.map((r) => [r.username, toUser(r)])) } as unknown as Loaded<P>;
    }
    if (part === 'robots') {
      const robots = await selectRobots(tx);
      return { version, robots: new Map(robots.map((r) => [r.name, r])) } as unknown as Loaded<P>;
    }
    if (part === 'access_tokens') {
      const tokens = await selectAccessTokens(tx);
      return { version, access_tokens: new Map(tokens.map((t) => [t.tokenHash, t])) } as unknown as Loaded<P>;
    }
    return { version, projects: await loadProjects(tx) } as unknown as Loaded<P>;
  });
}

async function loadProjects(tx: Queryable): Promise<Map<string, ProjectEntry>> {
  const projects = await tx.query<{ id: number; name: string; public: boolean }>('SELECT id, name, public FROM projects');
  const members = await tx.query<{ project_id: number; user_id: number | null; group_name: string | null; role: Role }>(
    'SELECT project_id, user_id, group_name, role FROM project_members',
  );
  const byId = new Map<number, ProjectEntry>();
  const byName = new Map<string, ProjectEntry>();
  for (const p of projects) {
    const entry: ProjectEntry = { id: p.id, public: p.public, userRoles: new Map(), groupRoles: new Map() };
    byId.set(p.id, entry);
    byName.set(p.name, entry);
  }
  for (const m of members) {
    const entry = byId.get(m.project_id);
    if (!entry) continue;
    const [map, key] = m.user_id !== null ? [entry.userRoles, m.user_id] : [entry.groupRoles, (m.group_name ?? '').toLowerCase()];
    (map as Map<number | string, Role[]>).set(key, [...((map as Map<number | string, Role[]>).get(key) ?? []), m.role]);
  }
  return byName;
}
