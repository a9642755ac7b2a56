import type { AuditEntry, AuditFilter, AuditPageRequest, AuditReader, AuditRepository, NewAuditEntry } from '../../domain/audit.js';
import type { Queryable, SqlClient } from './client.js';
import { ADVISORY_LOCKS } from './locks.js';

const COLUMNS = ['at', 'kind', 'subject', 'outcome', 'address', 'projects', 'repositories', 'detail'] as const;
/** Rows per INSERT: PostgreSQL takes at most 65535 parameters in one statement. */
const ROWS_PER_INSERT = 1_000;
/** Rows per DELETE of the retention sweep, so one sweep never holds a huge lock set. */
const DELETE_BATCH = 5_000;

interface Row {
  id: string;
  at: Date;
  kind: AuditEntry['kind'];
  subject: string | null;
  outcome: AuditEntry['outcome'];
  address: string | null;
  projects: string[];
  repositories: string[];
  detail: AuditEntry['detail'];
}

const toEntry = (r: Row): AuditEntry =>
  ({
    id: String(r.id),
    at: r.at,
    kind: r.kind,
    subject: r.subject,
    outcome: r.outcome,
    address: r.address,
    projects: r.projects,
    repositories: r.repositories,
    detail: r.detail,
  }) as AuditEntry;

/**
 * The audit trail in SQL (PGlite and PostgreSQL alike). Writes come in batches from the audit
 * writer; reads page by id with every filter pushed into the WHERE clause.
 */
export class SqlAudit implements AuditRepository {
  constructor(private readonly db: SqlClient) {}

  async append(entries: readonly NewAuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) await this.#insert(this.db, entries.slice(i, i + ROWS_PER_INSERT));
  }

  async #insert(db: Queryable, entries: readonly NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const params: unknown[] = [];
    const rows = entries.map((e) => {
      params.push(e.at, e.kind, e.subject, e.outcome, e.address, e.projects, e.repositories, JSON.stringify(e.detail));
      const base = params.length - COLUMNS.length;
      return `(${COLUMNS.map((c, j) => `$${base + j + 1}${c === 'detail' ? '::jsonb' : c === 'projects' || c === 'repositories' ? '::text[]' : ''}`).join(', ')})`;
    });
    await db.query(`INSERT INTO audit_log (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, params);
  }

  async list(filter: AuditFilter, reader: AuditReader, page: AuditPageRequest): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.from) add((p) => `at >= ${p}`, filter.from);
    if (filter.to) add((p) => `at < ${p}`, filter.to);
    if (filter.subject !== undefined) add((p) => `subject = ${p}`, filter.subject);
    if (filter.kind) add((p) => `kind = ${p}`, filter.kind);
    if (filter.outcome) add((p) => `outcome = ${p}`, filter.outcome);
    if (filter.repository) add((p) => `repositories @> ARRAY[${p}::text]`, filter.repository);
    if (filter.project) add((p) => `projects @> ARRAY[${p}::text]`, filter.project);
    if (page.afterId !== undefined) add((p) => `id ${page.order === 'asc' ? '>' : '<'} ${p}::bigint`, page.afterId);
    if (!reader.all) {
      // A project admin reads the entries of the projects they administer, directly or through a group.
      params.push(reader.userId, reader.groups.map((g) => g.toLowerCase()));
      const [u, g] = [`$${params.length - 1}`, `$${params.length}`];
      where.push(`projects && ARRAY(
        SELECT p.name FROM project_members m JOIN projects p ON p.id = m.project_id
        WHERE m.role = 'admin' AND (m.user_id = ${u} OR lower(m.group_name) = ANY(${g}::text[])))`);
    }
    params.push(page.limit);
    const rows = await this.db.query<Row>(
      `SELECT id::text AS id, at, kind, subject, outcome, address, projects, repositories, detail FROM audit_log
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY audit_log.id ${page.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEntry);
  }

  sweep(before: Date): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.auditRetention]);
      if (!lock?.locked) return null;
      let deleted = 0;
      for (;;) {
        const rows = await tx.query(
          'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2) RETURNING id',
          [before, DELETE_BATCH],
        );
        deleted += rows.length;
        if (rows.length < DELETE_BATCH) return deleted;
      }
    });
  }
}
