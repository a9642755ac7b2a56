/**
 * Property: whatever the users, memberships and project visibility, a token grants exactly the
 * requested scopes that the README's permission model permits, and never more. Each run builds
 * its own users and projects (names prefixed with the run number) through the admin API, then
 * interleaves changes with token requests, checking every token against an oracle written here
 * from the README alone, not from src/auth/permissions.ts.
 *
 * Seeded: PROPERTY_SEED and PROPERTY_RUNS override the defaults.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_AUTH, basic, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet, realmPost } from '../helpers/realm.js';
import { buildStoreApp, STORES, usePostgres } from '../helpers/stores.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 1_924_845);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
const PASSWORD = 'property-password-1';

// ---- The oracle: the README's permission model, written independently of src/ -------------

const ROLES = ['admin', 'maintainer', 'developer', 'guest', 'limitedGuest'] as const;
type Role = (typeof ROLES)[number];
const ALL = ['pull', 'push', 'delete'];
const ROLE_ACTIONS: Record<Role, string[]> = {
  admin: ALL,
  maintainer: ALL,
  developer: ['pull', 'push'],
  guest: ['pull'],
  limitedGuest: ['pull'],
};

interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/** What the service holds for one run; `library` is public and always there. */
interface World {
  users: { name: string; admin: boolean; disabled: boolean }[];
  projects: Map<string, { public: boolean; members: Map<string, Role> }>;
}

type Who = { kind: 'anonymous' } | { kind: 'user'; name: string; admin: boolean };

/** A repository's project is its first path segment; a name without `/` lives in `library`. */
const projectOf = (name: string): string => (name.includes('/') ? (name.split('/')[0] as string) : 'library');

function permitted(world: World, who: Who, scope: Scope): Set<string> {
  const admin = who.kind === 'user' && who.admin;
  if (scope.type === 'registry') return new Set(admin && scope.name === 'catalog' ? ALL : []);
  if (scope.type !== 'repository') return new Set();
  const project = world.projects.get(projectOf(scope.name));
  if (!project) return new Set();
  if (admin) return new Set(ALL);
  const out = new Set<string>(project.public ? ['pull'] : []);
  const role = who.kind === 'user' ? project.members.get(who.name) : undefined;
  for (const a of role ? ROLE_ACTIONS[role] : []) out.add(a);
  return out;
}

/**
 * The scope grammar's `type(class)`: the class is dropped and the type compared without case.
 * Repeats of one resource are merged into one, actions in first-seen order.
 */
function merge(scopes: readonly Scope[]): Scope[] {
  const byKey = new Map<string, Scope>();
  for (const s of scopes) {
    const type = s.type.replace(/\(.*\)$/, '').toLowerCase();
    const seen = byKey.get(`${type} ${s.name}`);
    if (seen) seen.actions = [...new Set([...seen.actions, ...s.actions])];
    else byKey.set(`${type} ${s.name}`, { type, name: s.name, actions: [...new Set(s.actions)] });
  }
  return [...byKey.values()];
}

/** requested ∩ permitted, resource by resource; `*` only where pull, push and delete all are. */
function expectedGrant(world: World, who: Who, requested: readonly Scope[]): Scope[] {
  return merge(requested).flatMap((s) => {
    const allowed = permitted(world, who, s);
    const actions = s.actions.filter((a) => (a === '*' ? ALL.every((x) => allowed.has(x)) : allowed.has(a)));
    return actions.length > 0 ? [{ ...s, actions }] : [];
  });
}

/** The safety half on its own: nothing granted that was not both requested and permitted. */
function grantedOutside(world: World, who: Who, requested: readonly Scope[], got: readonly Scope[]): string[] {
  const asked = merge(requested);
  const out: string[] = [];
  for (const g of got) {
    const req = asked.find((r) => r.type === g.type && r.name === g.name);
    const allowed = permitted(world, who, g);
    for (const a of g.actions) {
      const ok = req?.actions.includes(a) && (a === '*' ? ALL.every((x) => allowed.has(x)) : allowed.has(a));
      if (!ok) out.push(`${g.type}:${g.name}:${a}`);
    }
  }
  return out;
}

/** Why a resource got what it got: the scenarios must reach every branch of the model. */
function reason(world: World, who: Who, scope: Scope): string {
  const admin = who.kind === 'user' && who.admin;
  if (scope.type === 'registry') return admin ? 'catalog, system admin' : 'catalog, not admin';
  if (scope.type !== 'repository') return 'other type';
  const project = world.projects.get(projectOf(scope.name));
  if (!project) return 'no such project';
  if (admin) return 'system admin';
  const role = who.kind === 'user' ? project.members.get(who.name) : undefined;
  return `${role ?? (who.kind === 'anonymous' ? 'anonymous' : 'no role')} on ${project.public ? 'public' : 'private'}`;
}

const MUST_COVER = [
  ...ROLES.map((r) => `${r} on private`),
  'no role on private',
  'no role on public',
  'anonymous on private',
  'anonymous on public',
  'system admin',
  'no such project',
  'catalog, system admin',
  'catalog, not admin',
  'other type',
  'refused',
];

// ---- Generated scenarios ---------------------------------------------------------------------

/** Indices are taken modulo the run's counts; `lib` is the shared public project `library`. */
type ProjectRef = number | 'lib';
type Requester = { kind: 'anonymous' } | { kind: 'root' } | { kind: 'user'; user: number; wrongPassword: boolean };
type Step =
  | { op: 'member'; user: number; project: ProjectRef; role: Role }
  | { op: 'unmember'; user: number; project: ProjectRef }
  | { op: 'group'; user: number; project: ProjectRef; role: Role }
  | { op: 'disable'; user: number; value: boolean }
  | { op: 'admin'; user: number; value: boolean }
  | { op: 'public'; project: number; value: boolean }
  | { op: 'token'; who: Requester; post: boolean; joined: boolean; scopes: GenScope[] };

/** A scope before the run's names are known. */
interface GenScope {
  type: string;
  target: 'catalog' | 'bare' | { project: number | 'lib' | 'nope' | 'upper'; shape: number };
  actions: string[];
}

const idx = fc.nat({ max: 2 });
const projectRef = fc.oneof({ weight: 4, arbitrary: idx }, { weight: 1, arbitrary: fc.constant<'lib'>('lib') });
const role = fc.constantFrom(...ROLES);
const requester: fc.Arbitrary<Requester> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('user' as const), user: idx, wrongPassword: fc.constantFrom(false, false, false, false, true) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'anonymous' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'root' as const }) },
);
const genScope: fc.Arbitrary<GenScope> = fc.record({
  type: fc.constantFrom('repository', 'repository', 'repository', 'Repository', 'repository(plugin)', 'registry', 'widget'),
  target: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        project: fc.oneof({ weight: 4, arbitrary: idx }, { weight: 1, arbitrary: fc.constantFrom('lib' as const, 'nope' as const, 'upper' as const) }),
        shape: fc.nat({ max: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom('catalog' as const, 'bare' as const) },
  ),
  actions: fc.shuffledSubarray(['pull', 'push', 'delete', '*', 'junk', 'PULL'], { maxLength: 4 }),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('token' as const),
      who: requester,
      post: fc.boolean(),
      joined: fc.boolean(),
      scopes: fc.array(genScope, { minLength: 1, maxLength: 6 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('member' as const), user: idx, project: projectRef, role }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unmember' as const), user: idx, project: projectRef }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('group' as const), user: idx, project: projectRef, role }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disable' as const), user: idx, value: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('admin' as const), user: idx, value: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('public' as const), project: idx, value: fc.boolean() }) },
);
const scenario = fc.record({
  users: fc.array(fc.record({ admin: fc.constantFrom(false, false, false, false, true), disabled: fc.constantFrom(false, false, false, false, true) }), {
    minLength: 1,
    maxLength: 3,
  }),
  projects: fc.array(fc.constantFrom(false, false, true), { minLength: 1, maxLength: 2 }),
  members: fc.array(fc.record({ op: fc.constant('member' as const), user: idx, project: projectRef, role }), { maxLength: 6 }),
  steps: fc.array(step, { minLength: 1, maxLength: 20 }),
});

const postgres = usePostgres();

describe.each(STORES)('granted = requested ∩ permitted through the %s store', (kind) => {
  let t: TestApp;
  let run = 0;
  const covered = new Map<string, number>();
  const cover = (what: string) => covered.set(what, (covered.get(what) ?? 0) + 1);
  // Failed logins are part of the scenarios; the throttle is not what is tested here.
  beforeAll(async () => {
    t = await buildStoreApp(kind, postgres, { throttle: { enabled: false } });
  });
  afterAll(async () => {
    await t.close();
  });

  const api = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: ADMIN_AUTH }, ...(payload ? { payload } : {}) });
  const expectStatus = (res: LightMyRequestResponse, status: number) => expect(res.statusCode, res.body).toBe(status);

  it(`holds for ${RUNS} generated scenarios (seed ${SEED})`, { timeout: 20 * 60_000 }, async () => {
    console.log(`permission properties on ${kind}: seed ${SEED}, ${RUNS} runs`);
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        run += 1;
        const world: World = { users: [], projects: new Map([['library', { public: true, members: new Map() }]]) };
        const projectNames: string[] = [];
        for (const [i, u] of sc.users.entries()) {
          const name = `r${run}u${i}`;
          expectStatus(await api('POST', '/users', { username: name, password: PASSWORD, admin: u.admin }), 201);
          if (u.disabled) expectStatus(await api('PATCH', `/users/${name}`, { disabled: true }), 200);
          world.users.push({ name, ...u });
        }
        for (const [i, isPublic] of sc.projects.entries()) {
          const name = `r${run}p${i}`;
          expectStatus(await api('POST', '/projects', { name, public: isPublic }), 201);
          world.projects.set(name, { public: isPublic, members: new Map() });
          projectNames.push(name);
        }
        const userAt = (i: number) => world.users[i % world.users.length] as World['users'][number];
        const projectAt = (p: ProjectRef) => (p === 'lib' ? 'library' : (projectNames[p % projectNames.length] as string));
        const nameOf = (target: GenScope['target']): string => {
          if (target === 'catalog' || target === 'bare') return target === 'catalog' ? 'catalog' : 'app';
          const p = target.project;
          const project = p === 'nope' ? 'nope' : p === 'upper' ? (projectNames[0] as string).toUpperCase() : projectAt(p);
          return [`${project}/app`, `${project}/deep/nested`, project, `${project}/app:v1`][target.shape] as string;
        };

        for (const s of [...sc.members, ...sc.steps]) {
          if (s.op === 'token') {
            const scopes: Scope[] = s.scopes.map((g) => ({ type: g.type, name: nameOf(g.target), actions: g.actions }));
            await checkToken(world, s, scopes);
            continue;
          }
          if (s.op === 'public') {
            const name = projectAt(s.project);
            expectStatus(await api('PATCH', `/projects/${name}`, { public: s.value }), 200);
            (world.projects.get(name) as { public: boolean }).public = s.value;
            continue;
          }
          const user = userAt(s.user);
          if (s.op === 'disable' || s.op === 'admin') {
            const change = s.op === 'disable' ? { disabled: s.value } : { admin: s.value };
            expectStatus(await api('PATCH', `/users/${user.name}`, change), 200);
            Object.assign(user, change);
            continue;
          }
          const project = projectAt(s.project);
          const members = world.projects.get(project)?.members as Map<string, Role>;
          if (s.op === 'member') {
            expectStatus(await api('PUT', `/projects/${project}/members/${user.name}`, { role: s.role }), 200);
            members.set(user.name, s.role);
          } else if (s.op === 'unmember') {
            expectStatus(await api('DELETE', `/projects/${project}/members/${user.name}`), members.delete(user.name) ? 204 : 404);
          } else {
            // A directory group that happens to share a user's name: local users have no groups.
            expectStatus(await api('PUT', `/projects/${project}/members/group:${user.name}`, { role: s.role }), 200);
          }
        }
      }),
      // Shrinking replays scenarios on an ever larger database: long runs report the first failure as found.
      { seed: SEED, numRuns: RUNS, endOnFailure: RUNS > 200 },
    );
    console.log(`covered on ${kind}: ${JSON.stringify(Object.fromEntries([...covered].sort()))}`);
    if (RUNS >= 100) expect(MUST_COVER.filter((what) => !covered.has(what))).toEqual([]);
  });

  async function checkToken(world: World, s: Extract<Step, { op: 'token' }>, scopes: Scope[]): Promise<void> {
    const raw = scopes.map((x) => `${x.type}:${x.name}:${x.actions.join(',')}`);
    const scope = s.joined ? raw.join(' ') : raw;
    let who: Who;
    let res: LightMyRequestResponse;
    let refused = false;
    if (s.who.kind === 'anonymous') {
      who = { kind: 'anonymous' };
      res = await realmGet(t.app, { service: 'registry', scope });
    } else {
      const root = s.who.kind === 'root';
      const user = s.who.kind === 'root' ? { name: ADMIN.username, admin: true, disabled: false } : world.users[s.who.user % world.users.length];
      if (!user) throw new TypeError('no such generated user');
      const right = root ? ADMIN.password : PASSWORD;
      const password = s.who.kind === 'user' && s.who.wrongPassword ? 'not-the-password' : right;
      who = { kind: 'user', name: user.name, admin: user.admin };
      refused = user.disabled || password !== right;
      res = s.post
        ? await realmPost(t.app, { grant_type: 'password', username: user.name, password, service: 'registry', scope })
        : await realmGet(t.app, { service: 'registry', scope }, basic(user.name, password));
    }
    if (refused) {
      cover('refused');
      expect(errorCode(res, 401)).toBe('UNAUTHORIZED');
      return;
    }
    for (const r of merge(scopes)) if (r.actions.some((a) => a !== 'junk' && a !== 'PULL')) cover(reason(world, who, r));
    const got = granted(res).access as Scope[];
    expect(grantedOutside(world, who, scopes, got), `granted beyond requested ∩ permitted for ${raw.join(' ')}`).toEqual([]);
    expect(got, `grant for ${raw.join(' ')}`).toEqual(expectedGrant(world, who, scopes));
  }
});
