/**
 * Issue 8: what each real client shows when Portcullis throttles failed logins with
 * `429 TOOMANYREQUESTS` + `Retry-After` (the registry's JSON error shape), against the real
 * registry 2.8.2 and a real Portcullis process.
 *
 * Every client runs from 127.0.0.1, so each gets its own usernames: the back-off is keyed by
 * (address, username), and one client's failures must not decide another's outcome. The
 * per-address limit is raised out of the way for the same reason (it is not what is tested).
 * `baseSeconds: 300` keeps the first back-off running through the whole file.
 *
 * What the clients print for the 429 (recorded with skopeo 1.9, podman 4.3, docker 20.10 +
 * CLI, ctr/containerd 1.6):
 * - docker reads the JSON body: `toomanyrequests: too many failed logins; try again in N s`.
 * - skopeo and podman (containers/image) map every 429 to the fixed text "too many requests to
 *   registry" and drop the body and Retry-After; nothing a server sends changes that.
 * - ctr prints only the status line of its token request: "unexpected status: 429 Too Many
 *   Requests", plus whatever reason phrase the server puts after the code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/accounts.js';
import type { RegistryClient } from '../harness/clients/common.js';
import { skopeoClient } from '../harness/clients/skopeo.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { pollUntil, requireBinary, type RunResult } from '../harness/proc.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { CLIENTS, type StartedClient } from './helpers/clients.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis } from './helpers/portcullis.js';
import { expectRefused } from './helpers/refusals.js';

const BASE_SECONDS = 300;
const CONFIG = ['throttle:', '  addressUserFailures: 2', '  addressFailures: 1000', `  baseSeconds: ${BASE_SECONDS}`, ''].join('\n');

const REPO = 'team/app';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Our message; N is the back-off left, in whole seconds (300, or 299 a moment later). */
const OUR_MESSAGE = 'too many failed logins; try again in \\d+ s';

type Op = 'login' | 'pull';
/** Exactly what each client prints (stderr) and its exit code when the realm answers 429. */
const THROTTLED: Record<RegistryClient['name'], { code: number; printed: Partial<Record<Op, (host: string) => RegExp>> }> = {
  skopeo: {
    code: 1,
    printed: {
      login: (h) => new RegExp(`level=fatal msg="authenticating creds for \\\\"${esc(h)}\\\\": too many requests to registry"`),
      pull: (h) => new RegExp(`level=fatal msg="initializing source docker://${esc(h)}/${REPO}:v1: too many requests to registry"`),
    },
  },
  podman: {
    code: 125,
    printed: {
      login: (h) => new RegExp(`^Error: authenticating creds for "${esc(h)}": too many requests to registry$`, 'm'),
      pull: (h) => new RegExp(`^Error: initializing source docker://${esc(h)}/${REPO}:v1: too many requests to registry$`, 'm'),
    },
  },
  docker: {
    code: 1,
    printed: {
      login: (h) => new RegExp(`^Error response from daemon: Get "http://${esc(h)}/v2/": toomanyrequests: ${OUR_MESSAGE}$`, 'm'),
      pull: (h) => new RegExp(`^Error response from daemon: Head "http://${esc(h)}/v2/${REPO}/manifests/v1": toomanyrequests: ${OUR_MESSAGE}$`, 'm'),
    },
  },
  ctr: {
    code: 1,
    printed: {
      // ctr prints the HTTP status line; the optional tail is there for a server that puts its
      // message in the reason phrase.
      pull: (h) =>
        new RegExp(
          `^ctr: failed to resolve reference "${esc(h)}/${REPO}:v1": failed to authorize: failed to fetch oauth token: unexpected status: 429 Too Many Requests: ${OUR_MESSAGE}$`,
          'm',
        ),
    },
  },
};

interface RealmRequest {
  method: string;
  url: string;
  status: number;
}

/** Every answered realm (`/token`) request in Portcullis's JSON request log, in order. */
function realmRequests(log: string): RealmRequest[] {
  const open = new Map<string, { method: string; url: string }>();
  const done: RealmRequest[] = [];
  for (const line of log.split('\n')) {
    let e: { pid?: number; reqId?: string; req?: { method?: string; url?: string }; res?: { statusCode?: number } };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    const id = `${e.pid}/${e.reqId}`;
    if (e.req?.url?.startsWith('/token')) open.set(id, { method: e.req.method ?? '', url: e.req.url });
    const asked = open.get(id);
    if (asked && e.res?.statusCode !== undefined) done.push({ ...asked, status: e.res.statusCode });
  }
  return done;
}

const output = (r: RunResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('throttled logins: 429 TOOMANYREQUESTS through the real registry and every real client', () => {
  let portcullis: Portcullis;
  let registry: Registry;
  let image: OciImage;
  const users: { username: string; password: string }[] = [];
  const user = (name: string) => {
    const u = { username: name, password: `${name}-password` };
    users.push(u);
    return u;
  };
  const HTTP_LOCKED = user('http-locked');
  const ref = () => `${registry.host}/${REPO}:v1`;

  /** Waits until Portcullis has logged realm answers after `before` that satisfy `match`. */
  const realmAnswered = async (before: number, what: string, match: (r: RealmRequest) => boolean): Promise<RealmRequest[]> => {
    let fresh: RealmRequest[] = [];
    await pollUntil(
      async () => {
        fresh = realmRequests(portcullis.logs()).slice(before);
        return fresh.some(match);
      },
      undefined,
      `Portcullis logging ${what}`,
      5_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; realm answers since: ${JSON.stringify(fresh)}`);
    });
    return fresh;
  };

  beforeAll(async () => {
    for (const bin of ['docker-registry', ...CLIENTS.flatMap((c) => c.bins)]) await requireBinary(bin);
    portcullis = await startPortcullis({ configYaml: CONFIG });
    registry = await startRegistry({ realm: portcullis.realm, service: SERVICE, issuer: ISSUER, rootCertBundle: portcullis.bundlePem });
    await portcullis.admin.call('POST', '/projects', { name: 'team', public: false });
    const seeded = CLIENTS.flatMap((c) => [user(`${c.name}-locked`), user(`${c.name}-other`)]);
    for (const u of [HTTP_LOCKED, ...seeded]) {
      await portcullis.admin.call('POST', '/users', u);
      await portcullis.admin.call('PUT', `/projects/team/members/${u.username}`, { role: 'guest' });
    }
    image = await makeOciImage();
    const skopeo = await skopeoClient();
    try {
      const pushed = await skopeo.push(image, ref(), { creds: ADMIN });
      expect(pushed.code, pushed.stderr).toBe(0);
    } finally {
      await skopeo.stop();
    }
  });

  afterAll(async () => {
    const logs = portcullis?.logs() ?? '';
    await registry?.stop();
    await portcullis?.stop();
    await image?.remove();
    for (const secret of [ADMIN.password, ...users.map((u) => u.password), 'Basic ']) expect(logs).not.toContain(secret);
  });

  it('answers 429 with Retry-After and the registry error shape on GET and POST /token, even for the right password', async () => {
    const url = `${portcullis.realm}?account=${HTTP_LOCKED.username}&service=${SERVICE}`;
    const basic = (p: string) => ({ authorization: `Basic ${Buffer.from(`${HTTP_LOCKED.username}:${p}`).toString('base64')}` });
    const statuses: number[] = [];
    for (let i = 0; i < 5 && statuses.at(-1) !== 429; i++) {
      const res = await fetch(url, { headers: basic('wrong-password') });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    // The free failures are password-checked (401); the back-off then refuses with 429.
    expect(statuses.slice(0, 2)).toEqual([401, 401]);
    expect(statuses.at(-1)).toBe(429);

    const get = await fetch(url, { headers: basic(HTTP_LOCKED.password) });
    expect(get.status).toBe(429);
    const retryAfter = Number(get.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(BASE_SECONDS - 10);
    expect(retryAfter).toBeLessThanOrEqual(BASE_SECONDS);
    expect(get.headers.get('content-type')).toMatch(/^application\/json/);
    const getBody = (await get.json()) as { errors: { code: string; message: string }[] };
    expect(getBody.errors).toEqual([{ code: 'TOOMANYREQUESTS', message: `too many failed logins; try again in ${retryAfter} s` }]);

    const post = await fetch(portcullis.realm, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: HTTP_LOCKED.username, password: HTTP_LOCKED.password, service: SERVICE, client_id: 'e2e' }),
    });
    expect(post.status).toBe(429);
    expect(Number(post.headers.get('retry-after'))).toBeGreaterThan(0);
    const postBody = (await post.json()) as { errors: { code: string; message: string }[] };
    expect(postBody.errors).toEqual([{ code: 'TOOMANYREQUESTS', message: expect.stringMatching(new RegExp(`^${OUR_MESSAGE}$`)) }]);
  });

  describe.each(CLIENTS)('$name', ({ name, start }) => {
    let s: StartedClient;
    const locked = { username: `${name}-locked`, password: `${name}-locked-password` };
    const other = { username: `${name}-other`, password: `${name}-other-password` };
    const expected = THROTTLED[name];

    beforeAll(async () => {
      s = await start();
    });
    afterAll(async () => {
      await s?.stop();
    });

    /** A login where the client has one, else a pull (ctr sends credentials with each pull). */
    const attempt = (creds: { username: string; password: string }) =>
      s.client.hasLogin ? s.client.login(registry.host, creds.username, creds.password) : s.client.pull(ref(), { creds });
    const attemptOp: Op = name === 'ctr' ? 'pull' : 'login';

    const printed = (op: Op): RegExp => {
      const p = expected.printed[op];
      if (!p) throw new Error(`no expected ${op} output for ${name}`);
      return p(registry.host);
    };
    const expectThrottled = (r: RunResult, op: Op) => {
      expect(r.code, output(r)).toBe(expected.code);
      expect(`${r.stdout}\n${r.stderr}`, output(r)).toMatch(printed(op));
    };

    it('wrong passwords are refused as wrong until the back-off starts, then with 429', async () => {
      // The first is always checked: Portcullis answers 401 and the client says so.
      expectRefused(await attempt({ username: locked.username, password: 'wrong-password' }), 'auth');
      let throttled: RunResult | undefined;
      for (let i = 0; i < 4 && !throttled; i++) {
        const r = await attempt({ username: locked.username, password: 'wrong-password' });
        if (printed(attemptOp).test(`${r.stdout}\n${r.stderr}`)) throttled = r;
        else expectRefused(r, 'auth');
      }
      if (!throttled) throw new Error('the wrong passwords were never throttled');
      expectThrottled(throttled, attemptOp);
    });

    it('the right password is refused with 429 too, and Portcullis logs the 429 on /token', async () => {
      const before = realmRequests(portcullis.logs()).length;
      const r = await attempt(locked);
      expectThrottled(r, attemptOp);
      // ctr asks with an OAuth2 POST and does not fall back to GET on 429; the others GET with
      // the username in `account`.
      const is429 =
        name === 'ctr'
          ? (q: RealmRequest) => q.status === 429 && q.method === 'POST'
          : (q: RealmRequest) => q.status === 429 && q.method === 'GET' && q.url.includes(`account=${locked.username}&`);
      const fresh = await realmAnswered(before, `a 429 on /token for ${locked.username}`, is429);
      // Refused before any password check: no realm answer for this attempt was a 200 or 401.
      expect(fresh.filter((q) => q.status !== 429)).toEqual([]);
    });

    if (name !== 'ctr') {
      it('a pull with the right password is refused with 429', async () => {
        const before = realmRequests(portcullis.logs()).length;
        let r: RunResult;
        if (s.docker) {
          // The wrapper's pull would log in first (and stop at the login's 429); a config.json
          // that already holds the password makes the pull itself ask the realm.
          const dir = join(s.docker.configDir, '..', 'stored-password');
          await mkdir(dir, { recursive: true });
          const auth = Buffer.from(`${locked.username}:${locked.password}`).toString('base64');
          await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
          r = await s.docker.exec(['pull', ref()], { configDir: dir });
        } else {
          r = await s.client.pull(ref(), { creds: locked });
        }
        expectThrottled(r, 'pull');
        await realmAnswered(
          before,
          `a 429 on /token for a pull of ${REPO}`,
          (q) => q.status === 429 && q.url.includes(`account=${locked.username}&`) && q.url.includes(encodeURIComponent(`repository:${REPO}:pull`)),
        );
      });
    }

    it('another user with the right password pulls from the same address, while the throttled user stays refused', async () => {
      const pulled = await s.client.pull(ref(), { creds: other });
      expect(pulled.code, output(pulled)).toBe(0);
      expect(pulled.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      // Someone else's success does not reset this user's back-off.
      expectThrottled(await attempt(locked), attemptOp);
    });
  });
});
