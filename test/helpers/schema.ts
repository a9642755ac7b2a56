/**
 * What an older replica relies on in the database, read from PostgreSQL's catalogue, and the
 * comparison that says whether a migration took any of it away. A rolling upgrade runs old and
 * new replicas on one schema at once: the new one migrates, the old one keeps serving with the
 * queries it was built with. That is safe when a migration only adds.
 */
import type pg from 'pg';

export interface SchemaShape {
  /** `table.column` -> type, nullability, default. */
  columns: Map<string, { type: string; nullable: boolean; hasDefault: boolean }>;
  tables: Set<string>;
  /** `name(arguments)` */
  functions: Set<string>;
  /** `table.trigger` */
  triggers: Set<string>;
  /** Rows per table: a migration that deletes rows takes data an old replica reads. */
  rows: Map<string, number>;
}

export async function schemaShape(db: pg.ClientBase): Promise<SchemaShape> {
  const columns = await db.query<{ t: string; c: string; type: string; nullable: string; def: string | null }>(
    `SELECT table_name AS t, column_name AS c, format_type(a.atttypid, a.atttypmod) AS type, is_nullable AS nullable, column_default AS def
       FROM information_schema.columns ic
       JOIN pg_attribute a ON a.attrelid = format('%I.%I', ic.table_schema, ic.table_name)::regclass AND a.attname = ic.column_name
      WHERE table_schema = 'public'`,
  );
  const tables = await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'");
  const functions = await db.query<{ f: string }>(
    `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS f
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
  );
  const triggers = await db.query<{ t: string }>("SELECT tgrelid::regclass::text || '.' || tgname AS t FROM pg_trigger WHERE NOT tgisinternal");
  const rows = new Map<string, number>();
  for (const { t } of tables.rows) rows.set(t, Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`)).rows[0]?.n));
  return {
    columns: new Map(columns.rows.map((r) => [`${r.t}.${r.c}`, { type: r.type, nullable: r.nullable === 'YES', hasDefault: r.def !== null }])),
    tables: new Set(tables.rows.map((r) => r.t)),
    functions: new Set(functions.rows.map((r) => r.f)),
    triggers: new Set(triggers.rows.map((r) => r.t)),
    rows,
  };
}

/**
 * Everything `after` takes away from a replica built for `before`; empty when the change only
 * adds. A column new on an existing table must be nullable or have a default: the older
 * replica's INSERTs do not name it.
 */
export function schemaBreaks(before: SchemaShape, after: SchemaShape): string[] {
  const breaks: string[] = [];
  for (const t of before.tables) if (!after.tables.has(t)) breaks.push(`table ${t} is gone`);
  for (const [name, was] of before.columns) {
    const now = after.columns.get(name);
    if (!now) breaks.push(`column ${name} is gone`);
    else {
      if (now.type !== was.type) breaks.push(`column ${name} changed type from ${was.type} to ${now.type}`);
      if (was.nullable && !now.nullable) breaks.push(`column ${name} became NOT NULL`);
      if (was.hasDefault && !now.hasDefault) breaks.push(`column ${name} lost its default`);
    }
  }
  for (const [name, now] of after.columns) {
    const table = name.slice(0, name.indexOf('.'));
    if (before.tables.has(table) && !before.columns.has(name) && !now.nullable && !now.hasDefault)
      breaks.push(`column ${name} is new, NOT NULL and has no default`);
  }
  for (const f of before.functions) if (!after.functions.has(f)) breaks.push(`function ${f} is gone`);
  for (const t of before.triggers) if (!after.triggers.has(t)) breaks.push(`trigger ${t} is gone`);
  for (const [t, n] of before.rows) if ((after.rows.get(t) ?? 0) < n) breaks.push(`table ${t} lost rows (${n} -> ${after.rows.get(t) ?? 0})`);
  return breaks;
}

/**
 * The statement forms a migration is made of when it only adds. Anything else (DROP, RENAME,
 * ALTER ... TYPE, SET NOT NULL, UPDATE, DELETE, CREATE OR REPLACE) needs a reason an older
 * replica cannot tell, and then belongs on this list with that reason.
 */
export const ADDITIVE_STATEMENTS: readonly RegExp[] = [
  /^CREATE TABLE\s/i,
  /^CREATE (UNIQUE )?INDEX\s/i,
  /^CREATE FUNCTION\s/i,
  /^CREATE TRIGGER\s/i,
  /^INSERT INTO\s/i,
  /^ALTER TABLE\s+\w+\s+ADD COLUMN\s/i,
];

export const isAdditiveStatement = (statement: string): boolean => ADDITIVE_STATEMENTS.some((re) => re.test(statement.trim()));
