/**
 * The end-to-end scenario every store must pass: the real registry (distribution 2.8.2) trusts
 * a real Portcullis process, and each real client logs in, pushes, pulls, and is refused where
 * the permission model says so.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../../fixtures/accounts.js';
import { makeOciImage, type OciImage } from '../../harness/image.js';
import { requireBinary } from '../../harness/proc.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { CLIENTS, type StartedClient } from './clients.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis } from './portcullis.js';
import { expectRealmAnswered, expectRefused, realmAnswers } from './refusals.js';

export const ALICE = { username: 'alice', password: 'alice-password' };
export const BOB = { username: 'bob', password: 'bob-password' };

/** The accounts the scenarios use: private project team, alice a developer in it, bob a guest. */
export async function seedTeam(portcullis: Pick<Portcullis, 'admin'>): Promise<void> {
  for (const u of [ALICE, BOB]) await portcullis.admin.call('POST', '/users', u);
  await portcullis.admin.call('POST', '/projects', { name: 'team', public: false });
  await portcullis.admin.call('PUT', '/projects/team/members/alice', { role: 'developer' });
  await portcullis.admin.call('PUT', '/projects/team/members/bob', { role: 'guest' });
}

export interface SuiteOptions {
  /** Resolved in beforeAll, so a database the file starts can be handed in. */
  databaseUrl?: () => string;
  identityTokens: boolean;
}

export function registryClientSuite(label: string, opts: SuiteOptions): void {
  describe(label, () => {
    let portcullis: Portcullis;
    let registry: Registry;

    beforeAll(async () => {
      for (const bin of ['docker-registry', ...CLIENTS.flatMap((c) => c.bins)]) await requireBinary(bin);
      portcullis = await startPortcullis({ databaseUrl: opts.databaseUrl?.(), identityTokens: opts.identityTokens });
      registry = await startRegistry({ realm: portcullis.realm, service: SERVICE, issuer: ISSUER, rootCertBundle: portcullis.bundlePem });
      await seedTeam(portcullis);
    });

    afterAll(async () => {
      const logs = portcullis?.logs() ?? '';
      await registry?.stop();
      await portcullis?.stop();
      // Whatever happened above, no secret may have reached the service's log.
      for (const secret of [ALICE.password, BOB.password, ADMIN.password, 'Basic ']) expect(logs).not.toContain(secret);
    });

    describe.each(CLIENTS)('$name', ({ name, start }) => {
      let s: StartedClient;
      let image: OciImage;
      const ref = (repo: string) => `${registry.host}/${repo}:v1`;

      beforeAll(async () => {
        [s, image] = await Promise.all([start(), makeOciImage()]);
      });
      afterAll(async () => {
        await s?.stop();
        await image?.remove();
      });

      it('a developer logs in, pushes to a private project, and pulls back the same digest', async () => {
        const login = await s.client.login(registry.host, ALICE.username, ALICE.password);
        expect(login.code, login.stderr).toBe(0);
        const pushed = await s.client.push(image, ref(`team/${name}`));
        expect(pushed.code, pushed.stderr + registry.logs().slice(-2000)).toBe(0);
        expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const pulled = await s.client.pull(ref(`team/${name}`));
        expect(pulled.code, pulled.stderr).toBe(0);
        expect(pulled.digest).toBe(pushed.digest);
      });

      if (name === 'docker') {
        it(
          opts.identityTokens
            ? 'docker keeps an identity token, which still works after Portcullis restarts'
            : 'docker keeps the password when identity tokens are off',
          async () => {
            const config = JSON.parse(await readFile(join(s.docker!.configDir, 'config.json'), 'utf8')) as {
              auths: Record<string, { identitytoken?: string }>;
            };
            const entry = config.auths[registry.host];
            expect(entry).toBeDefined();
            expect(entry?.identitytoken !== undefined).toBe(opts.identityTokens);
            await portcullis.restart();
            const pulled = await s.client.pull(ref(`team/${name}`));
            expect(pulled.code, pulled.stderr).toBe(0);
            if (opts.identityTokens) expect(portcullis.logs()).toMatch(/"via":"refresh"/);
          },
        );
      }

      it('refuses a wrong password', async () => {
        const before = realmAnswers(portcullis.logs(), 401);
        if (s.client.hasLogin) expectRefused(await s.client.login(registry.host, ALICE.username, 'wrong-password'), 'auth');
        expectRefused(await s.client.pull(ref(`team/${name}`), { creds: { username: ALICE.username, password: 'wrong-password' } }), 'auth');
        await expectRealmAnswered(portcullis, 401, before);
      });

      it('lets a guest pull but not push', async () => {
        const pull = await s.client.pull(ref(`team/${name}`), { creds: BOB });
        expect(pull.code, pull.stderr).toBe(0);
        expectRefused(await s.client.push(image, ref(`team/${name}-guest`), { creds: BOB }), 'denied');
      });

      it('serves anonymous pulls from the public library and refuses them on a private project', async () => {
        const seeded = await s.client.push(image, ref(`library/${name}`), { creds: ADMIN });
        expect(seeded.code, seeded.stderr).toBe(0);
        const pub = await s.client.pull(ref(`library/${name}`), { creds: 'anonymous' });
        expect(pub.code, pub.stderr).toBe(0);
        expect(pub.digest).toBe(seeded.digest);
        expectRefused(await s.client.pull(ref(`team/${name}`), { creds: 'anonymous' }), 'denied');
      });

      it('refuses a push to a project that does not exist, even for an admin', async () => {
        expectRefused(await s.client.push(image, ref(`nowhere/${name}`), { creds: ADMIN }), 'denied');
      });
    });
  });
}
