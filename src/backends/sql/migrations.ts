import type { SqlClient } from './client.js';
import { ADVISORY_LOCKS } from './locks.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a shipped migration is never edited, a change is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, projects, members, refresh tokens',
    sql: `
      CREATE TABLE users (
        id serial PRIMARY KEY,
        username text NOT NULL UNIQUE,
        password_hash text,
        source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap')),
        admin boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE projects (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        public boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE project_members (
        id serial PRIMARY KEY,
        project_id integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id integer REFERENCES users(id) ON DELETE CASCADE,
        group_name text,
        role text NOT NULL CHECK (role IN ('admin', 'maintainer', 'developer', 'guest', 'limitedGuest')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((user_id IS NULL) <> (group_name IS NULL))
      );
      CREATE UNIQUE INDEX project_members_user ON project_members (project_id, user_id) WHERE user_id IS NOT NULL;
      CREATE UNIQUE INDEX project_members_group ON project_members (project_id, group_name) WHERE group_name IS NOT NULL;
      CREATE INDEX project_members_by_user ON project_members (user_id);
      CREATE TABLE refresh_tokens (
        token_hash text PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz
      );
      CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
    `,
  },
  {
    version: 2,
    name: 'change counters for the in-memory access snapshot',
    // Every replica keeps users, projects and memberships in memory. A write bumps the table's
    // counter and notifies listeners in the same transaction, so a replica sees the change at
    // once (LISTEN) or at its next poll of the counters, whichever comes first.
    sql: `
      CREATE TABLE change_counters (name text PRIMARY KEY, version bigint NOT NULL DEFAULT 0);
      INSERT INTO change_counters (name) VALUES ('users'), ('projects');
      CREATE FUNCTION portcullis_count_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          UPDATE change_counters SET version = version + 1 WHERE name = TG_ARGV[0];
          PERFORM pg_notify('portcullis_changes', TG_ARGV[0]);
          RETURN NULL;
        END
      $fn$;
      CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION portcullis_count_change('users');
      CREATE TRIGGER projects_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
        FOR EACH STATEMENT EXECUTE FUNCTION portcullis_count_change('projects');
      CREATE TRIGGER members_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_members
        FOR EACH STATEMENT EXECUTE FUNCTION portcullis_count_change('projects');
    `,
  },
  {
    version: 3,
    name: 'login failures for the brute-force throttle',
    // Keys name what failed (an address, a username, both); times are the app's epoch ms, the
    // clock the throttle compares them with.
    sql: `
      CREATE TABLE login_failures (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        last_failure_ms bigint NOT NULL
      );
      CREATE INDEX login_failures_by_time ON login_failures (last_failure_ms);
    `,
  },
  {
    version: 4,
    name: 'robot accounts and their permissions',
    // A robot's name is its full login name (robot$team+ci, robot$deployer). Its permissions
    // name projects, or every project (all_projects) for a system robot. The snapshot keeps
    // robots in memory like users; recording a use (last_used_*) does not count as a change, or
    // every flush of the use batch would make every replica reload.
    sql: `
      CREATE TABLE robots (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        project_id integer REFERENCES projects(id) ON DELETE CASCADE,
        description text NOT NULL DEFAULT '',
        secret_hash text NOT NULL,
        expires_at timestamptz,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        last_used_ip text
      );
      CREATE INDEX robots_by_project ON robots (project_id);
      CREATE TABLE robot_permissions (
        id serial PRIMARY KEY,
        robot_id integer NOT NULL REFERENCES robots(id) ON DELETE CASCADE,
        project_id integer REFERENCES projects(id) ON DELETE CASCADE,
        all_projects boolean NOT NULL DEFAULT false,
        actions text[] NOT NULL CHECK (cardinality(actions) > 0 AND actions <@ ARRAY['pull', 'push', 'delete']::text[]),
        CHECK ((project_id IS NULL) = all_projects)
      );
      CREATE UNIQUE INDEX robot_permissions_project ON robot_permissions (robot_id, project_id) WHERE project_id IS NOT NULL;
      CREATE UNIQUE INDEX robot_permissions_all ON robot_permissions (robot_id) WHERE all_projects;
      CREATE INDEX robot_permissions_by_project ON robot_permissions (project_id);
      INSERT INTO change_counters (name) VALUES ('robots');
      CREATE TRIGGER robots_changed
        AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF name, project_id, description, secret_hash, expires_at, disabled ON robots
        FOR EACH STATEMENT EXECUTE FUNCTION portcullis_count_change('robots');
      CREATE TRIGGER robot_permissions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON robot_permissions
        FOR EACH STATEMENT EXECUTE FUNCTION portcullis_count_change('robots');
    `,
  },
  {
    version: 5,
    name: 'personal access tokens',
    // Limits name projects by name (null: every project), so a limit on a project that is later
    // deleted and made again still means what its owner wrote. The snapshot keeps tokens in
    // memory by hash; last_used_* is bookkeeping and, as for robots, does not count as a change.
    sql: `
      CREATE TABLE access_tokens (
        id serial PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        projects text[],
        actions text[] NOT NULL CHECK (cardinality(actions) > 0 AND actions <@ ARRAY['pull', 'push', 'delete']::text[]),
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        last_used_ip text,
        UNIQUE (user_id, name)
      );
      INSERT INTO change_counters (name) VALUES ('access_tokens');
      CREATE TRIGGER access_tokens_changed
        AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF user_id, name, token_hash, projects, actions, expires_at ON access_tokens
        FOR EACH STATEMENT EXECUTE FUNCTION portcullis_count_change('access_tokens');
    `,
  },
  {
    version: 6,
    name: 'audit trail',
    // Entries are stored in segments, one row per batch the audit writer flushes: the entries as
    // gzipped JSON, beside the sets of what they name (kinds, subjects, outcomes, projects,
    // repositories) and their time span, which a read uses to skip segments it cannot match.
    // The embedded store runs every statement on the event loop, where a row per token cost
    // tens of microseconds each (half the token throughput); a segment costs one row per flush.
    // The body is gzipped by Node already; the database's own compression gives up on it after
    // its first kilobyte.
    sql: `
      CREATE TABLE audit_segments (
        id bigserial PRIMARY KEY,
        first_at timestamptz NOT NULL,
        last_at timestamptz NOT NULL,
        entries integer NOT NULL,
        kinds text[] NOT NULL,
        subjects text[] NOT NULL,
        outcomes text[] NOT NULL,
        projects text[] NOT NULL,
        repositories text[] NOT NULL,
        body bytea NOT NULL
      );
      CREATE INDEX audit_segments_by_first ON audit_segments (first_at);
      CREATE INDEX audit_segments_by_last ON audit_segments (last_at);
      CREATE INDEX audit_segments_by_subject ON audit_segments USING gin (subjects);
      CREATE INDEX audit_segments_by_project ON audit_segments USING gin (projects);
      CREATE INDEX audit_segments_by_repository ON audit_segments USING gin (repositories);
    `,
  },
  {
    version: 7,
    name: 'signing keys each replica uses',
    // One row per running replica, heartbeated; seen_at is the database's clock, so replicas
    // with skewed clocks still agree on who is alive.
    sql: `
      CREATE TABLE signing_key_replicas (
        instance_id text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        signing_kid text NOT NULL,
        published_kids text[] NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX signing_key_replicas_by_seen ON signing_key_replicas (seen_at);
    `,
  },
];

/**
 * Applies pending migrations in one transaction under an advisory lock, so replicas starting
 * together apply each migration exactly once and the others wait, then see it done.
 */
export async function migrate(db: SqlClient): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.migrations]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/**
 * Parameterless multi-statement text, split so both drivers run it through the same call. A
 * `;` inside a dollar-quoted body ($fn$ ... $fn$, a function) does not end the statement.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const tag = sql[i] === '$' ? /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0] : undefined;
    if (tag) {
      if (quote === undefined) quote = tag;
      else if (quote === tag) quote = undefined;
      i += tag.length - 1;
    } else if (sql[i] === ';' && quote === undefined) {
      statements.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  statements.push(sql.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.length > 0);
}
