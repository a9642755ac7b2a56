/**
 * Rolling upgrades: old and new replicas run on one PostgreSQL at once, the first new one
 * migrating the schema under the old ones. That is safe because every migration only adds,
 * which this file proves against a real PostgreSQL, migration by migration, with a check that
 * is shown to catch the changes that would break an old replica. Then the two starts of a
 * rolling upgrade: a replica on a schema another replica already migrated, and a replica on a
 * schema a newer version migrated further.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { MIGRATIONS, splitStatements } from '../../src/backends/sql/migrations.js';
import { ADMIN_AUTH, basic, testConfig } from '../helpers/app.js';
import { granted, realmGet } from '../helpers/realm.js';
import { isAdditiveStatement, schemaBreaks, schemaShape } from '../helpers/schema.js';
import { usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function apply(db: pg.Client, sql: string): Promise<void> {
  for (const statement of splitStatements(sql)) await db.query(statement);
}

describe('every migration only adds', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = await connect(await postgres().createDatabase());
  });
  afterAll(async () => {
    await db?.end();
  });

  it.each(MIGRATIONS.map((m) => [m.version, m.name, m.sql] as const))('%i (%s) is made of additive statements only', (_version, _name, sql) => {
    expect(splitStatements(sql).filter((s) => !isAdditiveStatement(s))).toEqual([]);
  });

  it('applied in order on a real PostgreSQL, none takes a table, column, type, default, function, trigger or row away', async () => {
    let before = await schemaShape(db);
    for (const m of MIGRATIONS) {
      await apply(db, m.sql);
      const after = await schemaShape(db);
      expect(schemaBreaks(before, after), `migration ${m.version} (${m.name})`).toEqual([]);
      before = after;
    }
    expect(before.tables.size).toBeGreaterThan(0);
  });

  // The checks above must be able to fail: each of these would break a replica still running
  // the previous version. The catalogue comparison catches every one; the statement list catches
  // all but the last, whose form (ADD COLUMN) is allowed while what it adds is not.
  const BREAKING = [
    ['DROP TABLE refresh_tokens', /table refresh_tokens is gone/],
    ['ALTER TABLE users RENAME TO accounts', /table users is gone/],
    ['ALTER TABLE users RENAME COLUMN username TO login', /column users\.username is gone/],
    ['ALTER TABLE users DROP COLUMN disabled', /column users\.disabled is gone/],
    ['ALTER TABLE users ALTER COLUMN admin TYPE text', /column users\.admin changed type from boolean to text/],
    ['ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL', /column users\.password_hash became NOT NULL/],
    ['ALTER TABLE projects ALTER COLUMN public DROP DEFAULT', /column projects\.public lost its default/],
    ['DROP TRIGGER users_changed ON users', /trigger users\.users_changed is gone/],
    ['DELETE FROM change_counters', /table change_counters lost rows/],
    ['ALTER TABLE users ADD COLUMN email text NOT NULL', /column users\.email is new, NOT NULL and has no default/],
  ] as const;

  it.each(BREAKING)('would refuse: %s', async (statement, reported) => {
    expect(isAdditiveStatement(statement)).toBe(statement === BREAKING.at(-1)?.[0]);
    await db.query('BEGIN');
    try {
      const before = await schemaShape(db);
      await db.query(statement);
      expect(schemaBreaks(before, await schemaShape(db)).join('\n')).toMatch(reported);
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it('accepts what a later migration may do: a new table, a nullable column, a column with a default, an index', async () => {
    const statements = [
      'CREATE TABLE audit_events (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())',
      'ALTER TABLE users ADD COLUMN email text',
      "ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en'",
      'CREATE INDEX users_by_email ON users (email)',
    ];
    for (const s of statements) expect(isAdditiveStatement(s), s).toBe(true);
    await db.query('BEGIN');
    try {
      const before = await schemaShape(db);
      for (const s of statements) await db.query(s);
      expect(schemaBreaks(before, await schemaShape(db))).toEqual([]);
    } finally {
      await db.query('ROLLBACK');
    }
  });
});

describe('starting a replica during a rolling upgrade', () => {
  it('on a schema another replica migrated: applies nothing, starts and serves', async () => {
    const url = await postgres().createDatabase();
    const config = testConfig({ database: { url } });
    const first = await buildApp(config, { logger: false });
    const db = await connect(url);
    try {
      const recorded = async () => (await db.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows;
      const migrated = await recorded();
      expect(migrated.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const second = await buildApp(config, { logger: false });
      try {
        expect(await recorded()).toEqual(migrated);
        expect((await second.inject({ url: '/readyz' })).statusCode).toBe(200);
        expect(granted(await realmGet(second, { service: 'registry', scope: 'repository:library/app:pull' }, ADMIN_AUTH)).access).toEqual([
          { type: 'repository', name: 'library/app', actions: ['pull'] },
        ]);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
      await db.end();
    }
  });

  it('on a schema a newer version migrated further (an old replica restarting mid-upgrade): starts, serves and writes', async () => {
    const url = await postgres().createDatabase();
    const config = testConfig({ database: { url } });
    await (await buildApp(config, { logger: false })).close();
    const db = await connect(url);
    // What a newer version might have added: a table, a column an old INSERT does not name, its record.
    await db.query('CREATE TABLE future_things (id serial PRIMARY KEY)');
    await db.query("ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en'");
    await db.query("INSERT INTO schema_migrations (version, name) VALUES (1000, 'from a newer version')");
    const old = await buildApp(config, { logger: false });
    try {
      expect((await old.inject({ url: '/readyz' })).statusCode).toBe(200);
      const created = await old.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { authorization: ADMIN_AUTH },
        payload: { username: 'frank', password: 'frank-password' },
      });
      expect(created.statusCode, created.body).toBe(201);
      granted(await realmGet(old, { service: 'registry' }, basic('frank', 'frank-password')));
      expect((await db.query("SELECT locale FROM users WHERE username = 'frank'")).rows).toEqual([{ locale: 'en' }]);
    } finally {
      await old.close();
      await db.end();
    }
  });
});
