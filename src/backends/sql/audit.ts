import { promisify } from 'node:util';
import { gunzipSync, gzip, constants as zlibConstants } from 'node:zlib';
import type { AuditEntry, AuditFilter, AuditPageRequest, AuditReader, AuditRepository, AuditSegment, NewAuditEntry } from '../../domain/audit.js';
import { decodeSegment, MAX_SEGMENT_ENTRIES } from '../../domain/audit-segment.js';
import type { SqlClient } from './client.js';
import { ADVISORY_LOCKS } from './locks.js';

const gzipAsync = promisify(gzip);

/** An entry's id is its segment's id times this, plus its place in it. */
const ID_FACTOR = MAX_SEGMENT_ENTRIES;
/** Segments read per round trip while a page is being filled. */
const SEGMENTS_PER_READ = 16;
interface SegmentRow {
  id: string;
  /** base64 */
  body: string;
}

/** The filter as a predicate on one entry: segments only narrow the search, this decides. */
function matches(e: NewAuditEntry, f: AuditFilter, visible: ReadonlySet<string> | undefined): boolean {
  if (f.from && e.at < f.from) return false;
  if (f.to && e.at >= f.to) return false;
  if (f.subject !== undefined && e.subject !== f.subject) return false;
  if (f.kind && e.kind !== f.kind) return false;
  if (f.outcome && e.outcome !== f.outcome) return false;
  if (f.repository && !e.repositories.includes(f.repository)) return false;
  if (f.project && !e.projects.includes(f.project)) return false;
  return !visible || e.projects.some((p) => visible.has(p));
}

/**
 * The audit trail in SQL (PGlite and PostgreSQL alike), in segments: each append is one row
 * holding its entries compressed (see migration 6 for why). Reads select the segments whose
 * summary can match, newest or oldest first, and filter their entries exactly.
 */
export class SqlAudit implements AuditRepository {
  constructor(private readonly db: SqlClient) {}

  async append(segment: AuditSegment): Promise<void> {
    if (segment.entries === 0) return;
    // Compressed on libuv's pool, off the event loop. Huffman coding alone: the dictionary has
    // taken out the repetition already, what is left is mostly random jti characters, and
    // skipping the search for matches halves the time for 8% more bytes.
    const body = await gzipAsync(segment.body, { level: 1, strategy: zlibConstants.Z_HUFFMAN_ONLY });
    await this.db.transaction(async (tx) => {
      // Entries waiting in memory are lost in a crash anyway; not waiting for the WAL flush of
      // each segment only widens that window by a moment, and spares the event loop (embedded).
      await tx.query('SET LOCAL synchronous_commit = off');
      // Replicas append one at a time, so segment ids are taken in commit order: a reader that
      // has seen segment N (audit ls --follow) never later finds a new one below N, committed
      // late by another replica. The lock is held for one INSERT, a few times a second at most.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.auditAppend]);
      await tx.query(
        `INSERT INTO audit_segments (first_at, last_at, entries, kinds, subjects, outcomes, projects, repositories, body)
       VALUES ($1, $2, $3, $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], decode($9, 'base64'))`,
        [
          segment.firstAt,
          segment.lastAt,
          segment.entries,
          segment.kinds,
          segment.subjects,
          segment.outcomes,
          segment.projects,
          segment.repositories,
          // As base64 text, decoded by the database: PGlite turns a bytea parameter into hex one
          // byte at a time in JavaScript, which cost more of the event loop than the rest of the write.
          body.toString('base64'),
        ],
      );
    });
  }

  async list(filter: AuditFilter, reader: AuditReader, page: AuditPageRequest): Promise<AuditEntry[]> {
    const visible = reader.all ? undefined : new Set(await this.#administered(reader.userId, reader.groups));
    if (visible?.size === 0) return [];
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.from) add((p) => `last_at >= ${p}`, filter.from);
    if (filter.to) add((p) => `first_at < ${p}`, filter.to);
    if (filter.subject !== undefined) add((p) => `subjects @> ARRAY[${p}::text]`, filter.subject);
    if (filter.kind) add((p) => `kinds @> ARRAY[${p}::text]`, filter.kind);
    if (filter.outcome) add((p) => `outcomes @> ARRAY[${p}::text]`, filter.outcome);
    if (filter.repository) add((p) => `repositories @> ARRAY[${p}::text]`, filter.repository);
    if (filter.project) add((p) => `projects @> ARRAY[${p}::text]`, filter.project);
    if (visible) add((p) => `projects && ${p}::text[]`, [...visible]);
    const asc = page.order === 'asc';
    const after = page.afterId === undefined ? undefined : BigInt(page.afterId);
    const out: AuditEntry[] = [];
    // The bound moves segment by segment; the first segment may be the cursor's own, partly read.
    let bound = after === undefined ? undefined : after / BigInt(ID_FACTOR);
    let inclusive = true;
    for (;;) {
      const conditions = [...where];
      if (bound !== undefined) conditions.push(`id ${asc ? '>' : '<'}${inclusive ? '=' : ''} ${bound}`);
      const rows = await this.db.query<SegmentRow>(
        // base64 for the same reason as in append: PGlite parses a bytea result a byte at a time.
        `SELECT id::text AS id, encode(body, 'base64') AS body FROM audit_segments ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
         ORDER BY audit_segments.id ${asc ? 'ASC' : 'DESC'} LIMIT ${SEGMENTS_PER_READ}`,
        params,
      );
      for (const row of rows) {
        const base = BigInt(row.id) * BigInt(ID_FACTOR);
        const stored = decodeSegment(gunzipSync(Buffer.from(row.body, 'base64')).toString('utf8'));
        const order = asc ? stored.map((_, i) => i) : stored.map((_, i) => stored.length - 1 - i);
        for (const i of order) {
          const id = base + BigInt(i);
          if (after !== undefined && (asc ? id <= after : id >= after)) continue;
          const entry = { ...(stored[i] as NewAuditEntry), id: id.toString() } as AuditEntry;
          if (!matches(entry, filter, visible)) continue;
          out.push(entry);
          if (out.length >= page.limit) return out;
        }
      }
      if (rows.length < SEGMENTS_PER_READ) return out;
      bound = BigInt((rows.at(-1) as SegmentRow).id);
      inclusive = false;
    }
  }

  /** The projects where the user, or one of their groups, holds the admin role. */
  async #administered(userId: number, groups: readonly string[]): Promise<string[]> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT DISTINCT p.name FROM project_members m JOIN projects p ON p.id = m.project_id
       WHERE m.role = 'admin' AND (m.user_id = $1 OR lower(m.group_name) = ANY($2::text[]))`,
      [userId, groups.map((g) => g.toLowerCase())],
    );
    return rows.map((r) => r.name);
  }

  sweep(before: Date): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.auditRetention]);
      if (!lock?.locked) return null;
      // A segment goes once its newest entry is past the retention; its older ones wait for it.
      const rows = await tx.query<{ entries: number }>('DELETE FROM audit_segments WHERE last_at < $1 RETURNING entries', [before]);
      return rows.reduce((n, r) => n + r.entries, 0);
    });
  }
}
