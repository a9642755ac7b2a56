/**
 * The end-to-end scenario every store must pass: the real registry (distribution 2.8.2) trusts
 * a real Portcullis process, and each real client logs in, pushes, pulls, and is refused where
 * the permission model says so.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOciImage, type OciImage } from '../../harness/image.js';
import { requireBinary } from '../../harness/proc.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { CLIENTS, type StartedClient } from './clients.js';
import { ADMIN_PASSWORD, ISSUER, SERVICE, startPortcullis, type Portcullis } from './portcullis.js';

export const ALICE = { user: 'alice', password: 'alice-password' };
export const BOB = { user: 'bob', password: 'bob-password' };
export const ADMIN = { user: 'admin', password: ADMIN_PASSWORD };

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
      for (const u of [ALICE, BOB]) await portcullis.admin.call('POST', '/users', { username: u.user, password: u.password });
      await portcullis.admin.call('POST', '/projects', { name: 'team', public: false });
      await portcullis.admin.call('PUT', '/projects/team/members/alice', { role: 'developer' });
      await portcullis.admin.call('PUT', '/projects/team/members/bob', { role: 'guest' });
    });

    afterAll(async () => {
      const logs = portcullis?.logs() ?? '';
      await registry?.stop();
      await portcullis?.stop();
      // Whatever happened above, no secret may have reached the service's log.
      for (const secret of [ALICE.password, BOB.password, ADMIN_PASSWORD, 'Basic ']) expect(logs).not.toContain(secret);
    });

    describe.each(CLIENTS)('$name', ({ name, start }) => {
      let s: StartedClient;
      let image: OciImage;
      const ref = (repo: string) => `${registry.host}/${repo}:v1`;

      beforeAll(async () => { [s, image] = await Promise.all([start(), makeOciImage()]); });
      afterAll(async () => { await s?.stop(); await image?.remove(); });

      it('a developer logs in, pushes to a private project, and pulls back the same digest', async () => {
        const login = await s.client.login(registry.host, ALICE.user, ALICE.password);
        expect(login.code, login.stderr).toBe(0);
        const pushed = await s.client.push(image, ref(`team/${name}`));
        expect(pushed.code, pushed.stderr + registry.logs().slice(-2000)).toBe(0);
        expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const pulled = await s.client.pull(ref(`team/${name}`));
        expect(pulled.code, pulled.stderr).toBe(0);
        expect(pulled.digest).toBe(pushed.digest);
      });

      if (name === 'docker') {
        it(opts.identityTokens
          ? 'docker keeps an identity token, which still works after Portcullis restarts'
          : 'docker keeps the password when identity tokens are off', async () => {
          const config = JSON.parse(await readFile(join(s.docker!.configDir, 'config.json'), 'utf8')) as { auths: Record<string, { identitytoken?: string }> };
          const entry = config.auths[registry.host];
          expect(entry).toBeDefined();
          expect(entry?.identitytoken !== undefined).toBe(opts.identityTokens);
          await portcullis.restart();
          const pulled = await s.client.pull(ref(`team/${name}`));
          expect(pulled.code, pulled.stderr).toBe(0);
          if (opts.identityTokens) expect(portcullis.logs()).toMatch(/"via":"refresh"/);
        });
      }

      it('refuses a wrong password', async () => {
        if (s.client.hasLogin) {
          const login = await s.client.login(registry.host, ALICE.user, 'wrong-password');
          expect(login.code).not.toBe(0);
        }
        const pull = await s.client.pull(ref(`team/${name}`), { creds: { user: ALICE.user, password: 'wrong-password' } });
        expect(pull.code).not.toBe(0);
      });

      it('lets a guest pull but not push', async () => {
        const pull = await s.client.pull(ref(`team/${name}`), { creds: BOB });
        expect(pull.code, pull.stderr).toBe(0);
        const push = await s.client.push(image, ref(`team/${name}-guest`), { creds: BOB });
        expect(push.code).not.toBe(0);
        expect(push.stderr + push.stdout).toMatch(/denied|unauthorized|insufficient_scope|401|403/i);
      });

      it('serves anonymous pulls from the public library and refuses them on a private project', async () => {
        const seeded = await s.client.push(image, ref(`library/${name}`), { creds: ADMIN });
        expect(seeded.code, seeded.stderr).toBe(0);
        const pub = await s.client.pull(ref(`library/${name}`), { creds: 'anonymous' });
        expect(pub.code, pub.stderr).toBe(0);
        expect(pub.digest).toBe(seeded.digest);
        const priv = await s.client.pull(ref(`team/${name}`), { creds: 'anonymous' });
        expect(priv.code).not.toBe(0);
      });

      it('refuses a push to a project that does not exist, even for an admin', async () => {
        const push = await s.client.push(image, ref(`nowhere/${name}`), { creds: ADMIN });
        expect(push.code).not.toBe(0);
      });
    });
  });
}
