/**
 * Issue 12, replicas tested for real: two Portcullis processes on one PostgreSQL behind HAProxy
 * (health checks on /readyz), the real registry 2.8.2 with its realm on HAProxy, and real
 * skopeo and docker. Each replica in turn is SIGKILLed and started again while the clients push
 * and pull; not one client operation may fail. Then: a revocation made through replica A is
 * refused by replica B within 1 s (measured, with B's credential cache warm), both replicas
 * publish one JWKS and sign with one kid, and login failures counted on A lock the login out on B.
 * The figures are printed for the README and the closing note.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { AdminClient } from '../../src/cli/admin-client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/accounts.js';
import { dockerClient, startDockerd, type DockerClient, type Dockerd } from '../harness/clients/docker.js';
import { skopeoClient, type SkopeoClient } from '../harness/clients/skopeo.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { requireBinary } from '../harness/proc.js';
import { ISSUER, SERVICE, type Portcullis } from './helpers/portcullis.js';
import { startReplicas, tokenRequest, type Replicas } from './helpers/replicas.js';
import { churn, type Outage, type Tally } from './helpers/churn.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const SCOPE = 'repository:team/app:pull,push';
const REFUSED_WITHIN_MS = 1_000;
/**
 * HAProxy is a trusted proxy, as the README says to configure it. bcrypt at its cheapest: the
 * first refusal of a changed password costs B one bcrypt, which on a busy two-core machine at
 * the default cost takes longer than the replicas take to agree, and that agreement is what is
 * measured. Three free failures of one user from one address, then 30 s of back-off: long
 * enough to see on B.
 */
const CONFIG = [
  'trustedProxies: [127.0.0.1]',
  'auth:',
  '  bcryptCost: 4',
  'throttle:',
  '  addressUserFailures: 3',
  '  addressFailures: 1000',
  '  baseSeconds: 30',
  '',
].join('\n');

type Creds = { username: string; password: string };
interface Answer {
  status: number;
  actions: string[];
  token?: string;
}

/** A token request straight to one replica, as a client would send it through the registry. */
async function ask(p: Portcullis, creds: Creds): Promise<Answer> {
  const res = await tokenRequest(p.url, creds, SCOPE);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return { status: res.status, actions: [] };
  }
  const { token } = (await res.json()) as { token: string };
  const { access } = decodeJwt<{ access: { actions: string[] }[] }>(token);
  return { status: 200, actions: access[0]?.actions ?? [], token };
}

let r: Replicas;
const secrets = [ADMIN.password, ALICE.password];

beforeAll(async () => {
  for (const bin of ['haproxy', 'docker-registry', 'skopeo', 'dockerd', 'containerd', 'unshare']) await requireBinary(bin);
  r = await startReplicas({ configYaml: CONFIG });
  await r.a.admin.call('POST', '/users', ALICE);
  await r.a.admin.call('POST', '/projects', { name: 'team', public: false });
  await r.a.admin.call('PUT', '/projects/team/members/alice', { role: 'developer' });
});

afterAll(async () => {
  const logs = r?.logs() ?? '';
  await r?.stop();
  for (const secret of [...secrets, 'Basic ']) expect(logs).not.toContain(secret);
});

describe('skopeo and docker through HAProxy while replicas are killed', () => {
  let dockerd: Dockerd;
  let docker: DockerClient;
  let skopeo: SkopeoClient;
  let images: OciImage[];

  beforeAll(async () => {
    dockerd = await startDockerd();
    [docker, skopeo, ...images] = await Promise.all([dockerClient(dockerd), skopeoClient(), makeOciImage(), makeOciImage()]);
    for (const c of [docker, skopeo]) {
      const login = await c.login(r.registry.host, ALICE.username, ALICE.password);
      expect(login.code, login.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await docker?.stop();
    await dockerd?.stop();
    await skopeo?.stop();
    for (const i of images ?? []) await i.remove();
  });

  it('not one push or pull fails while A, then B, is SIGKILLed and started again', { timeout: 150_000 }, async () => {
    const [skopeoImage, dockerImage] = images as [OciImage, OciImage];
    const outages: Outage[] = [];
    const result = await churn({
      clients: [
        { name: 'skopeo', client: skopeo, image: skopeoImage, repo: `${r.registry.host}/team/skopeo` },
        { name: 'docker', client: docker, image: dockerImage, repo: `${r.registry.host}/team/docker` },
      ],
      tokenRequest: () => tokenRequest(r.lb.url, ALICE, 'repository:team/hammer:pull'),
      chaos: async () => {
        for (const [name, p] of [
          ['a', r.a],
          ['b', r.b],
        ] as const) {
          const outage: Outage = { replica: name, killedAt: Date.now(), backAt: 0 };
          outages.push(outage);
          await p.kill();
          await r.lb.untilServer(name, 'DOWN');
          // A while on one replica only, then the same port again so HAProxy finds it back.
          await new Promise((res) => setTimeout(res, 1_000));
          await p.restart();
          await r.lb.untilServer(name, 'UP');
          outage.backAt = Date.now();
        }
      },
    });
    const retried = r.lb.requests().filter((q) => q.retries > 0);
    const ops = result.clients.reduce((n, t) => n + t.ops.length, 0);
    const failedOps = result.clients.flatMap((t) => t.ops.filter((o) => !o.ok).map((o) => ({ client: t.name, ...o })));
    console.log(
      `replicas: ${ops} client operations (${result.clients.map((t) => `${t.name} ${t.ops.length}`).join(', ')}), ${failedOps.length} failed; ` +
        `${result.hammer.sent} token requests through HAProxy, ${result.hammer.failed.length} failed; ` +
        `HAProxy retried ${retried.length} request(s) on the other replica; outages (ms): ${outages.map((o) => `${o.replica} ${o.backAt - o.killedAt}`).join(', ')}`,
    );
    const troubled = r.lb
      .requests()
      .filter((q) => q.status >= 500 || q.termination !== '----')
      .map((q) => JSON.stringify(q));
    const context = `\nHAProxy's unanswered or failed requests:\n${troubled.join('\n')}`;
    expect(failedOps, JSON.stringify(failedOps, null, 2) + context).toEqual([]);
    expect(result.hammer.failed, context).toEqual([]);
    // The outages really happened under load: each client had an operation running across each.
    for (const o of outages) for (const t of result.clients) expect(overlaps(t, o), `${t.name} during ${o.replica}'s outage`).toBe(true);
    // And the restarted replicas serve: HAProxy sent token requests to each after its return.
    for (const o of outages) {
      const served = r.lb.requests().filter((q) => q.server === o.replica && q.path === '/token' && q.status === 200 && q.at >= o.backAt);
      expect(served.length, `token requests ${o.replica} answered after its return`).toBeGreaterThan(0);
    }
  });
});

function overlaps(t: Tally, o: Outage): boolean {
  return t.ops.some((op) => op.startedAt < o.backAt && op.endedAt > o.killedAt);
}

describe('a revocation made through replica A is refused by replica B within 1 s', () => {
  const delays: Record<string, number> = {};
  afterAll(() => {
    console.log(`replicas: revocations made through A refused by B after (ms): ${JSON.stringify(delays)}`);
  });

  /** What a revocation needs: credentials that work on B now, and the admin call through A that ends them. */
  interface Revocation {
    name: string;
    prepare(): Promise<Creds>;
    revoke(creds: Creds): Promise<void>;
    /** How B shows it refuses: 401, or a token that grants nothing. */
    refused(answer: Answer): boolean;
  }
  const unauthorized = (a: Answer) => a.status === 401;
  const grantsNothing = (a: Answer) => a.status === 200 && a.actions.length === 0;
  const developer = async (username: string): Promise<Creds> => {
    const creds = { username, password: `${username}-password` };
    secrets.push(creds.password);
    await r.a.admin.call('POST', '/users', creds);
    await r.a.admin.call('PUT', `/projects/team/members/${username}`, { role: 'developer' });
    return creds;
  };
  const robot = async (name: string): Promise<Creds> => {
    const made = await r.a.admin.call<{ name: string; secret: string }>('POST', '/robots', {
      name,
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull', 'push'] }],
    });
    secrets.push(made.secret);
    return { username: made.name, password: made.secret };
  };
  const robotPath = (c: Creds) => `/robots/${encodeURIComponent(c.username)}`;
  /** A developer's personal access token, made through A by its owner; `id` names it for revoking. */
  const tokenIds = new Map<string, number>();
  const accessToken = async (username: string): Promise<Creds> => {
    const owner = await developer(username);
    const made = await new AdminClient({ url: r.a.url, user: owner.username, password: owner.password }).call<{ id: number; token: string }>(
      'POST',
      '/me/tokens',
      { name: 'ci' },
    );
    secrets.push(made.token);
    tokenIds.set(made.token, made.id);
    return { username, password: made.token };
  };

  const REVOCATIONS: Revocation[] = [
    {
      name: 'password change',
      prepare: () => developer('rv-password'),
      revoke: async (c) => void (await r.a.admin.call('PATCH', `/users/${c.username}`, { password: 'a-brand-new-password' })),
      refused: unauthorized,
    },
    {
      name: 'user disabled',
      prepare: () => developer('rv-disabled'),
      revoke: async (c) => void (await r.a.admin.call('PATCH', `/users/${c.username}`, { disabled: true })),
      refused: unauthorized,
    },
    {
      name: 'robot disabled',
      prepare: () => robot('rv-disabled'),
      revoke: async (c) => void (await r.a.admin.call('PATCH', robotPath(c), { disabled: true })),
      refused: unauthorized,
    },
    {
      name: 'robot secret refreshed',
      prepare: () => robot('rv-refreshed'),
      revoke: async (c) => void (await r.a.admin.call('POST', `${robotPath(c)}/refresh`, {})),
      refused: unauthorized,
    },
    {
      name: 'membership removed',
      prepare: () => developer('rv-member'),
      revoke: async (c) => void (await r.a.admin.call('DELETE', `/projects/team/members/${c.username}`)),
      refused: grantsNothing,
    },
    {
      name: 'personal access token revoked',
      prepare: () => accessToken('rv-token'),
      revoke: async (c) => void (await r.a.admin.call('DELETE', `/users/${c.username}/tokens/${tokenIds.get(c.password)}`)),
      refused: unauthorized,
    },
  ];

  it.each(REVOCATIONS)('$name', async ({ name, prepare, revoke, refused }) => {
    const creds = await prepare();
    // B has checked these credentials and remembers them (credential cache, snapshot): the case that matters.
    await untilAnswer(r.b, creds, (a) => a.status === 200 && a.actions.length === 2, 5_000);
    expect((await ask(r.b, creds)).actions).toEqual(['pull', 'push']);
    await revoke(creds);
    const answered = Date.now();
    await untilAnswer(r.b, creds, refused, 5_000);
    delays[name] = Date.now() - answered;
    expect(delays[name]).toBeLessThan(REFUSED_WITHIN_MS);
  });
});

/** Asks `p` every 20 ms until `done` holds for its answer. */
async function untilAnswer(p: Portcullis, creds: Creds, done: (a: Answer) => boolean, timeoutMs: number): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask(p, creds);
    if (done(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`replica ${p.url} still answers ${JSON.stringify({ ...answer, token: undefined })} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('one signing key, one throttle', () => {
  it('both replicas publish the same JWKS and sign with its kid; a token of B verifies against the JWKS of A', async () => {
    const [jwksA, jwksB] = await Promise.all([r.a, r.b].map(async (p) => (await (await fetch(`${p.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet));
    expect(jwksB).toEqual(jwksA);
    const [fromA, fromB] = await Promise.all([r.a, r.b].map((p) => ask(p, ALICE)));
    const kids = [fromA, fromB].map((t) => decodeProtectedHeader(t?.token ?? '').kid);
    expect(kids[0]).toBeDefined();
    expect(kids[1]).toBe(kids[0]);
    expect(jwksA?.keys.map((k) => k.kid)).toContain(kids[0]);
    const verified = await jwtVerify(fromB?.token ?? '', createLocalJWKSet(jwksA as JSONWebKeySet), { issuer: ISSUER, audience: SERVICE });
    expect(verified.payload.sub).toBe(ALICE.username);
  });

  it('login failures counted on A lock the login out on B, even with the right password', async () => {
    const victim = { username: 'locked', password: 'locked-password' };
    secrets.push(victim.password);
    await r.a.admin.call('POST', '/users', victim);
    const wrong = { ...victim, password: 'not-the-password' };
    const onA: number[] = [];
    for (let i = 0; i < 4; i++) onA.push((await ask(r.a, wrong)).status);
    // Three free failures answered 401, then A's own back-off.
    expect(onA).toEqual([401, 401, 401, 429]);
    // B never saw a failure of its own, and has never checked this password (no cached success).
    const res = await tokenRequest(r.b.url, victim);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('TOOMANYREQUESTS');
  });
});
