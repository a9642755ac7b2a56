/**
 * The token hot path reads users, projects and memberships from memory. Whatever it remembers,
 * a change made through one replica must be honoured by every replica within 1 s: here two
 * app instances share one PostgreSQL, and the embedded store honours its own writes at once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../harness/proc.js';
import { ADMIN_AUTH, basic, buildTestApp, sqlOf, type TestApp } from '../helpers/app.js';
import { granted, realmGet } from '../helpers/realm.js';
import { usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();
const HONOURED_WITHIN_MS = 1_000;
const SCOPE = 'repository:team/app:pull,push';

/** What `user` gets for SCOPE with `password` on `t`: the granted actions, or the status. */
async function ask(t: TestApp, user: string, password: string): Promise<string[] | number> {
  const res = await realmGet(t.app, { service: 'registry', scope: SCOPE }, basic(user, password));
  if (res.statusCode !== 200) return res.statusCode;
  const access = granted(res).access as { actions: string[] }[];
  return access[0]?.actions ?? [];
}

async function admin(t: TestApp, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<void> {
  const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: ADMIN_AUTH }, ...(payload ? { payload } : {}) });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

/** Polls replica `t` until it answers `expected`, and returns how long that took. */
async function honouredAfter(t: TestApp, user: string, password: string, expected: string[] | number): Promise<number> {
  const started = Date.now();
  await pollUntil(
    async () => JSON.stringify(await ask(t, user, password)) === JSON.stringify(expected),
    undefined,
    `replica to answer ${JSON.stringify(expected)}`,
    5_000,
    20,
  );
  return Date.now() - started;
}

describe('two replicas on one PostgreSQL', () => {
  let a: TestApp;
  let b: TestApp;
  const delays: Record<string, number> = {};

  beforeAll(async () => {
    const url = await postgres().createDatabase();
    a = await buildTestApp({ database: { url } });
    b = await buildTestApp({ database: { url } });
    await admin(a, 'POST', '/users', { username: 'carol', password: 'carol-password' });
    await admin(a, 'POST', '/projects', { name: 'team' });
    await admin(a, 'PUT', '/projects/team/members/carol', { role: 'developer' });
    await honouredAfter(b, 'carol', 'carol-password', ['pull', 'push']);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    // Printed for the closing note: how long replica B took to honour each change.
    console.log(`replica B honoured changes made through A after (ms): ${JSON.stringify(delays)}`);
  });

  it('a role change through A is honoured by B within 1 s', async () => {
    await admin(a, 'PUT', '/projects/team/members/carol', { role: 'guest' });
    delays.role = await honouredAfter(b, 'carol', 'carol-password', ['pull']);
    expect(delays.role).toBeLessThan(HONOURED_WITHIN_MS);
  });

  it('a membership removal through A is honoured by B within 1 s', async () => {
    await admin(a, 'DELETE', '/projects/team/members/carol');
    delays.membership = await honouredAfter(b, 'carol', 'carol-password', []);
    expect(delays.membership).toBeLessThan(HONOURED_WITHIN_MS);
    await admin(a, 'PUT', '/projects/team/members/carol', { role: 'developer' });
    await honouredAfter(b, 'carol', 'carol-password', ['pull', 'push']);
  });

  it('making the project public through A lets B serve anonymous pulls within 1 s, and private again', async () => {
    const anonymous = async () => (granted(await realmGet(b.app, { service: 'registry', scope: 'repository:team/app:pull' })).access as unknown[]).length;
    expect(await anonymous()).toBe(0);
    await admin(a, 'PATCH', '/projects/team', { public: true });
    const started = Date.now();
    await pollUntil(async () => (await anonymous()) === 1, undefined, 'anonymous pull on B', 5_000, 20);
    delays.visibility = Date.now() - started;
    expect(delays.visibility).toBeLessThan(HONOURED_WITHIN_MS);
    await admin(a, 'PATCH', '/projects/team', { public: false });
    await pollUntil(async () => (await anonymous()) === 0, undefined, 'private again on B', 5_000, 20);
  });

  it('a password change through A makes B refuse the old password within 1 s', async () => {
    expect(await ask(b, 'carol', 'carol-password')).toEqual(['pull', 'push']);
    await admin(a, 'PATCH', '/users/carol', { password: 'carol-new-password' });
    delays.password = await honouredAfter(b, 'carol', 'carol-password', 401);
    expect(delays.password).toBeLessThan(HONOURED_WITHIN_MS);
    expect(await ask(b, 'carol', 'carol-new-password')).toEqual(['pull', 'push']);
  });

  it('disabling through A is honoured by B within 1 s, and so is enabling', async () => {
    await admin(a, 'PATCH', '/users/carol', { disabled: true });
    delays.disable = await honouredAfter(b, 'carol', 'carol-new-password', 401);
    expect(delays.disable).toBeLessThan(HONOURED_WITHIN_MS);
    await admin(a, 'PATCH', '/users/carol', { disabled: false });
    await honouredAfter(b, 'carol', 'carol-new-password', ['pull', 'push']);
  });

  it("B's listening connection killed: changes made meanwhile are still honoured within 1 s", async () => {
    const killer = new pg.Client({ connectionString: b.config.database.url });
    await killer.connect();
    try {
      const killed = await killer.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'portcullis-listen' AND datname = current_database()",
      );
      // Both replicas listen; both connections go, so neither hears the change below.
      expect(killed.rowCount).toBe(2);
      await admin(a, 'PUT', '/projects/team/members/carol', { role: 'guest' });
      delays.afterListenerKilled = await honouredAfter(b, 'carol', 'carol-new-password', ['pull']);
      expect(delays.afterListenerKilled).toBeLessThan(HONOURED_WITHIN_MS);
      // And the listener is back: a later change arrives as before.
      await pollUntil(
        async () => {
          const rows = await killer.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'portcullis-listen' AND datname = current_database()",
          );
          return rows.rows[0]?.n === 2;
        },
        undefined,
        'listeners back',
        5_000,
        50,
      );
      await admin(a, 'DELETE', '/users/carol');
      delays.delete = await honouredAfter(b, 'carol', 'carol-new-password', 401);
      expect(delays.delete).toBeLessThan(HONOURED_WITHIN_MS);
    } finally {
      await killer.end();
    }
  });

  it('a robot created, disabled, refreshed and deleted through A is honoured by B within 1 s', async () => {
    const create = await a.app.inject({
      method: 'POST',
      url: '/api/v1/robots',
      headers: { authorization: ADMIN_AUTH },
      payload: { name: 'ci', project: 'team', permissions: [{ project: 'team', actions: ['pull', 'push'] }] },
    });
    expect(create.statusCode, create.body).toBe(201);
    const { secret } = create.json<{ secret: string }>();
    delays.robotCreate = await honouredAfter(b, 'robot$team+ci', secret, ['pull', 'push']);
    expect(delays.robotCreate).toBeLessThan(HONOURED_WITHIN_MS);
    await admin(a, 'PATCH', '/robots/robot%24team%2Bci', { disabled: true });
    delays.robotDisable = await honouredAfter(b, 'robot$team+ci', secret, 401);
    expect(delays.robotDisable).toBeLessThan(HONOURED_WITHIN_MS);
    await admin(a, 'PATCH', '/robots/robot%24team%2Bci', { disabled: false, permissions: [{ project: 'team', actions: ['pull'] }] });
    delays.robotPermissions = await honouredAfter(b, 'robot$team+ci', secret, ['pull']);
    expect(delays.robotPermissions).toBeLessThan(HONOURED_WITHIN_MS);
    const refresh = await a.app.inject({
      method: 'POST',
      url: '/api/v1/robots/robot%24team%2Bci/refresh',
      headers: { authorization: ADMIN_AUTH },
      payload: {},
    });
    expect(refresh.statusCode, refresh.body).toBe(200);
    delays.robotRefresh = await honouredAfter(b, 'robot$team+ci', secret, 401);
    expect(delays.robotRefresh).toBeLessThan(HONOURED_WITHIN_MS);
    const fresh = refresh.json<{ secret: string }>().secret;
    expect(await ask(b, 'robot$team+ci', fresh)).toEqual(['pull']);
    await admin(a, 'DELETE', '/robots/robot%24team%2Bci');
    delays.robotDelete = await honouredAfter(b, 'robot$team+ci', fresh, 401);
    expect(delays.robotDelete).toBeLessThan(HONOURED_WITHIN_MS);
  });

  it('a change written straight into the database (no notification from us) is seen through the change counters', async () => {
    await admin(a, 'POST', '/users', { username: 'dave', password: 'dave-password' });
    await admin(a, 'PUT', '/projects/team/members/dave', { role: 'developer' });
    await honouredAfter(b, 'dave', 'dave-password', ['pull', 'push']);
    await sqlOf(a).query("UPDATE project_members SET role = 'guest' WHERE user_id = (SELECT id FROM users WHERE username = 'dave')");
    delays.directSql = await honouredAfter(b, 'dave', 'dave-password', ['pull']);
    expect(delays.directSql).toBeLessThan(HONOURED_WITHIN_MS);
  });
});

describe('the embedded store', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await admin(t, 'POST', '/users', { username: 'erin', password: 'erin-password' });
    await admin(t, 'POST', '/projects', { name: 'team' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('honours every change at once: the answer right after the admin call is already the new one', async () => {
    await admin(t, 'PUT', '/projects/team/members/erin', { role: 'developer' });
    expect(await ask(t, 'erin', 'erin-password')).toEqual(['pull', 'push']);
    await admin(t, 'PUT', '/projects/team/members/erin', { role: 'guest' });
    expect(await ask(t, 'erin', 'erin-password')).toEqual(['pull']);
    await admin(t, 'PATCH', '/users/erin', { password: 'erin-new-password' });
    expect(await ask(t, 'erin', 'erin-password')).toBe(401);
    await admin(t, 'PATCH', '/users/erin', { disabled: true });
    expect(await ask(t, 'erin', 'erin-new-password')).toBe(401);
    await admin(t, 'PATCH', '/users/erin', { disabled: false });
    await admin(t, 'DELETE', '/projects/team/members/erin');
    expect(await ask(t, 'erin', 'erin-new-password')).toEqual([]);
    await admin(t, 'DELETE', '/users/erin');
    expect(await ask(t, 'erin', 'erin-new-password')).toBe(401);
  });

  it('a write that bypassed the store (no listener here) is picked up by the poll of the change counters within 1 s', async () => {
    await admin(t, 'POST', '/users', { username: 'gina', password: 'gina-password' });
    await admin(t, 'PUT', '/projects/team/members/gina', { role: 'developer' });
    await sqlOf(t).query("UPDATE project_members SET role = 'guest' WHERE user_id = (SELECT id FROM users WHERE username = 'gina')");
    expect(await honouredAfter(t, 'gina', 'gina-password', ['pull'])).toBeLessThan(HONOURED_WITHIN_MS);
  });

  it('survives a restart: the snapshot is loaded from the database, which kept everything', async () => {
    await admin(t, 'POST', '/users', { username: 'frank', password: 'frank-password' });
    await admin(t, 'PUT', '/projects/team/members/frank', { role: 'maintainer' });
    await t.restart();
    expect(await ask(t, 'frank', 'frank-password')).toEqual(['pull', 'push']);
  });
});
