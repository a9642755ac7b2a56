import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LDAP_SERVICE, LDAP_USERS } from '../fixtures/ldap/index.js';
import { ADMIN, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/proc.js';
import { LdapSwitch, searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';

const { alice, bob } = LDAP_USERS;

async function ask(t: TestApp, user: string, password: string): Promise<{ status: number; ms: number; retryAfter?: unknown }> {
  const started = Date.now();
  const res = await t.app.inject({ url: '/token?service=registry', headers: { authorization: basic(user, password) } });
  return { status: res.statusCode, ms: Date.now() - started, retryAfter: res.headers['retry-after'] };
}

/** A TCP listener that accepts connections and never says a word: a hung LDAP server. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let slapd: Slapd;
let silent: Awaited<ReturnType<typeof silentServer>>;
let app: TestApp;
const ldap = new LdapSwitch();

beforeAll(async () => {
  [slapd, silent] = await Promise.all([startSlapd(), silentServer()]);
  app = await buildTestApp({ auth: { backends: ['local', 'ldap'] }, ldap: searchModeConfig(slapd) }, { authenticators: { ldap: () => ldap } });
});
afterAll(async () => {
  await ldap.close();
  await app?.close();
  await Promise.all([slapd?.close(), silent?.close()]);
});

/** Runs fn against the shared app with a fresh LDAP backend (new pool, empty cache) of this configuration. */
async function withApp<T>(extra: Record<string, unknown>, fn: (t: TestApp) => Promise<T>): Promise<T> {
  await ldap.use(searchModeConfig(slapd, { cacheTtlSeconds: 0, ...extra }), app.app.services.store.users);
  try {
    return await fn(app);
  } finally {
    await ldap.close();
  }
}

describe('LDAP failover and timeouts', () => {
  it('fails over from a dead URL to a live one, in order', async () => {
    const dead = `ldap://127.0.0.1:${await freePort()}`;
    await withApp({ urls: [dead, slapd.url] }, async (t) => {
      expect((await ask(t, 'alice', alice.password)).status).toBe(200);
      expect((await ask(t, 'alice', 'wrong-password')).status).toBe(401);
    });
  });

  it('answers 503 within the configured timeouts when the server accepts but never answers', async () => {
    await withApp({ urls: [silent.url], connectTimeoutMs: 300, timeoutMs: 500 }, async (t) => {
      const res = await ask(t, 'alice', alice.password);
      expect(res).toMatchObject({ status: 503, retryAfter: '5' });
      expect(res.ms).toBeLessThan(3_000);
      expect((await ask(t, ADMIN.username, ADMIN.password)).status).toBe(200);
    });
  });

  it('moves past a hung server to the next URL', async () => {
    await withApp({ urls: [silent.url, slapd.url], timeoutMs: 500 }, async (t) => {
      const res = await ask(t, 'alice', alice.password);
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(5_000);
    });
  });

  it('pays for a hung first server once: later logins skip it while it is probed in the background', async () => {
    // A fresh connection per user bind meets the hung server on every login unless it is skipped.
    await withApp({ urls: [silent.url, slapd.url], timeoutMs: 500 }, async (t) => {
      const first = await ask(t, 'alice', alice.password);
      expect(first.status).toBe(200);
      expect(first.ms).toBeGreaterThanOrEqual(500);
      for (let i = 0; i < 5; i++) {
        const later = await ask(t, 'alice', alice.password);
        expect(later.status).toBe(200);
        expect(later.ms).toBeLessThan(500);
      }
    });
  });

  it('bounds one request by requestTimeoutMs, however many hung servers there are', async () => {
    await withApp({ urls: [silent.url, silent.url, silent.url], timeoutMs: 2_000, requestTimeoutMs: 700 }, async (t) => {
      const res = await ask(t, 'alice', alice.password);
      expect(res.status).toBe(503);
      expect(res.ms).toBeLessThan(2_000);
    });
  });

  it("uses defaults that keep a token request well under docker's 15 s with two hung servers", async () => {
    await withApp({ urls: [silent.url, silent.url] }, async (t) => {
      const res = await ask(t, 'alice', alice.password);
      expect(res.status).toBe(503);
      expect(res.ms).toBeLessThan(10_000);
    });
  }, 20_000);
});

describe('LDAP outage and recovery', () => {
  it('answers 503 for directory users while slapd is down, keeps local users working, recovers without a restart', async () => {
    await withApp({ timeoutMs: 1_000 }, async (t) => {
      expect((await ask(t, 'alice', alice.password)).status).toBe(200);
      await slapd.stop();
      try {
        expect(await ask(t, 'alice', alice.password)).toMatchObject({ status: 503, retryAfter: '5' });
        expect((await ask(t, 'bob', bob.password)).status).toBe(503);
        expect((await ask(t, ADMIN.username, ADMIN.password)).status).toBe(200);
      } finally {
        await slapd.start();
      }
      expect((await ask(t, 'alice', alice.password)).status).toBe(200);
      expect((await ask(t, 'bob', 'wrong-password')).status).toBe(401);
    });
  });

  it('serves a login it verified within cacheTtlSeconds even while slapd is down', async () => {
    await withApp({ cacheTtlSeconds: 60 }, async (t) => {
      expect((await ask(t, 'alice', alice.password)).status).toBe(200);
      await slapd.stop();
      try {
        expect((await ask(t, 'alice', alice.password)).status).toBe(200);
        // A different password is not in the cache: the directory must judge it.
        expect((await ask(t, 'alice', 'wrong-password')).status).toBe(503);
      } finally {
        await slapd.start();
      }
    });
  });
});

describe('LDAP connections', () => {
  const opened = () => slapd.monitor('cn=Total,cn=Connections');

  it('reuses the service-account connection across requests; each user bind has its own', async () => {
    await withApp({ poolSize: 2 }, async (t) => {
      const before = await opened();
      for (let i = 0; i < 5; i++) expect((await ask(t, 'alice', alice.password)).status).toBe(200);
      // 5 user binds + 1 service connection + the monitor query's own connection.
      expect(await opened()).toBe(before + 5 + 1 + 1);
    });
  });

  it('never leaves a connection bound as a user: what stays open is the service account', async () => {
    await withApp({ poolSize: 2 }, async (t) => {
      await Promise.all(
        ['alice', 'bob', 'alice', 'bob'].map(async (u) => {
          expect((await ask(t, u, LDAP_USERS[u as 'alice' | 'bob'].password)).status).toBe(200);
        }),
      );
      let identities: string[] = [];
      // User connections close just after their answer; the expectations below say what stayed open.
      await pollUntil(
        async () => {
          identities = await slapd.connectionIdentities();
          return identities.every((dn) => dn === LDAP_SERVICE.dn);
        },
        undefined,
        'user-bound LDAP connections closing',
        4_000,
      ).catch(() => undefined);
      expect(identities.length).toBeGreaterThan(0);
      expect(identities.length).toBeLessThanOrEqual(2);
      expect(new Set(identities)).toEqual(new Set([LDAP_SERVICE.dn]));
    });
  });

  it('serves repeated token requests from the cache without binding again', async () => {
    await withApp({ cacheTtlSeconds: 60 }, async (t) => {
      expect((await ask(t, 'bob', bob.password)).status).toBe(200);
      const before = await opened();
      for (let i = 0; i < 3; i++) expect((await ask(t, 'bob', bob.password)).status).toBe(200);
      expect(await opened()).toBe(before + 1);
    });
  });
});
