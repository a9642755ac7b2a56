/**
 * Robot accounts and personal access tokens against the real registry 2.8.2, with the clients
 * that use them in the field: skopeo in CI, containerd's resolver as the kubelet's CRI drives it
 * (ctr), skopeo reading a generated dockerconfigjson as the kubelet reads a pull secret, and
 * docker logging in with a personal access token.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/cli/admin-client.js';
import { ADMIN } from '../fixtures/accounts.js';
import { ctrClient, startContainerd } from '../harness/clients/ctr.js';
import { dockerClient, startDockerd, type DockerClient, type Dockerd } from '../harness/clients/docker.js';
import { skopeoClient, type SkopeoClient } from '../harness/clients/skopeo.js';
import type { RegistryClient } from '../harness/clients/common.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { requireBinary, runOk, tempDir } from '../harness/proc.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis } from './helpers/portcullis.js';
import { expectRealmAnswered, expectRefused, realmAnswers } from './helpers/refusals.js';

const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');
const CAROL = { username: 'carol', password: 'carol-password' };

interface Created {
  name: string;
  secret: string;
}

describe('robot accounts and personal access tokens with the real registry', { timeout: 180_000 }, () => {
  let portcullis: Portcullis;
  let registry: Registry;
  let skopeo: SkopeoClient;
  let image: OciImage;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const ref = (repo: string) => `${registry.host}/${repo}:v1`;
  const robot = (body: object) => portcullis.admin.call<Created>('POST', '/robots', body);
  const projectRobot = (name: string, actions: string[], extra: object = {}) =>
    robot({ name, project: 'team', permissions: [{ project: 'team', actions }], ...extra });
  const as = (r: Created) => ({ creds: { username: r.name, password: r.secret } });

  beforeAll(async () => {
    for (const bin of ['docker-registry', 'skopeo', 'containerd', 'ctr', 'dockerd', 'unshare']) await requireBinary(bin);
    [portcullis, image, skopeo, tmp] = await Promise.all([startPortcullis(), makeOciImage(), skopeoClient(), tempDir('robots-e2e')]);
    registry = await startRegistry({ realm: portcullis.realm, service: SERVICE, issuer: ISSUER, rootCertBundle: portcullis.bundlePem });
    await portcullis.admin.call('POST', '/users', CAROL);
    for (const name of ['team', 'other']) await portcullis.admin.call('POST', '/projects', { name });
    for (const repo of ['team/app', 'other/app']) {
      const seeded = await skopeo.push(image, ref(repo), { creds: ADMIN });
      expect(seeded.code, seeded.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    const logs = portcullis?.logs() ?? '';
    await registry?.stop();
    await portcullis?.stop();
    await skopeo?.stop();
    await image?.remove();
    await tmp?.remove();
    // No robot secret or personal access token ever reaches the log.
    expect(logs).not.toMatch(/pc[bp]_[A-Za-z0-9_-]{43}/);
  });

  it('a pull-only project robot pulls its project, cannot push, cannot see another project', async () => {
    const ci = await projectRobot('ci', ['pull']);
    const pulled = await skopeo.pull(ref('team/app'), as(ci));
    expect(pulled.code, pulled.stderr).toBe(0);
    expectRefused(await skopeo.push(image, ref('team/by-robot'), as(ci)), 'denied');
    expectRefused(await skopeo.pull(ref('other/app'), as(ci)), 'denied');
  });

  it('a push robot pushes', async () => {
    const builder = await projectRobot('builder', ['pull', 'push']);
    const pushed = await skopeo.push(image, ref('team/built'), as(builder));
    expect(pushed.code, pushed.stderr).toBe(0);
    expect((await skopeo.pull(ref('team/built'), as(builder))).digest).toBe(pushed.digest);
  });

  it('refuses an expired robot and a disabled robot, and the log says which', async () => {
    const expired = await projectRobot('expired', ['pull'], { expiresInDays: 0 });
    const disabled = await projectRobot('disabled', ['pull']);
    await portcullis.admin.call('PATCH', `/robots/${encodeURIComponent(disabled.name)}`, { disabled: true });
    const before = realmAnswers(portcullis.logs(), 401);
    expectRefused(await skopeo.pull(ref('team/app'), as(expired)), 'auth');
    expectRefused(await skopeo.pull(ref('team/app'), as(disabled)), 'auth');
    await expectRealmAnswered(portcullis, 401, before + 1);
    expect(portcullis.logs()).toMatch(/robot login refused: the robot is expired/);
    expect(portcullis.logs()).toMatch(/robot login refused: the robot is disabled/);
  });

  it('after refresh the old secret is refused and the new one works', async () => {
    const rotated = await projectRobot('rotated', ['pull']);
    expect((await skopeo.pull(ref('team/app'), as(rotated))).code).toBe(0);
    const fresh = await portcullis.admin.call<Created>('POST', `/robots/${encodeURIComponent(rotated.name)}/refresh`, {});
    expectRefused(await skopeo.pull(ref('team/app'), as(rotated)), 'auth');
    const pulled = await skopeo.pull(ref('team/app'), as(fresh));
    expect(pulled.code, pulled.stderr).toBe(0);
  });

  it("ctr pulls with --user 'robot$team+ci:SECRET' (containerd's resolver, as the kubelet's CRI uses it)", async () => {
    const kubelet = await projectRobot('kubelet', ['pull']);
    const containerd = await startContainerd();
    try {
      const ctr: RegistryClient = await ctrClient(containerd);
      const pulled = await ctr.pull(ref('team/app'), as(kubelet));
      expect(pulled.code, pulled.stderr).toBe(0);
      expectRefused(await ctr.pull(ref('other/app'), as(kubelet)), 'denied');
      await ctr.stop();
    } finally {
      await containerd.stop();
    }
  });

  it('skopeo pulls with the dockerconfigjson that `robot create --output dockerconfigjson` prints, as its --authfile', async () => {
    const env = {
      PATH: process.env.PATH,
      PORTCULLIS_URL: portcullis.url,
      PORTCULLIS_USER: ADMIN.username,
      PORTCULLIS_PASSWORD: ADMIN.password,
    };
    const { stdout } = await runOk(
      process.execPath,
      [BIN, 'robot', 'create', 'pull-secret', '--project', 'team', '--actions', 'pull', '--output', 'dockerconfigjson', '--registry', registry.host],
      { env, timeoutMs: 30_000 },
    );
    const authFile = join(tmp.path, 'pull-secret.json');
    await writeFile(authFile, stdout, { mode: 0o600 });
    const pulled = await skopeo.pull(ref('team/app'), { authFile });
    expect(pulled.code, pulled.stderr).toBe(0);
    expectRefused(await skopeo.pull(ref('other/app'), { authFile }), 'denied');
  });

  describe('a personal access token with docker', () => {
    let dockerd: Dockerd;
    let docker: DockerClient;
    beforeAll(async () => {
      dockerd = await startDockerd();
      docker = await dockerClient(dockerd);
      await portcullis.admin.call('PUT', '/projects/team/members/carol', { role: 'developer' });
    });
    afterAll(async () => {
      await docker?.stop();
      await dockerd?.stop();
    });

    it('works for docker login and push, and loses push when its owner is demoted', async () => {
      const owner = new AdminClient({ url: portcullis.url, user: CAROL.username, password: CAROL.password });
      const { token } = await owner.call<{ token: string }>('POST', '/me/tokens', { name: 'laptop', projects: ['team'] });
      const login = await docker.login(registry.host, CAROL.username, token);
      expect(login.code, login.stderr).toBe(0);
      const pushed = await docker.push(image, ref('team/with-token'));
      expect(pushed.code, pushed.stderr).toBe(0);
      // The token's limit holds even where carol herself could go.
      await portcullis.admin.call('PUT', '/projects/other/members/carol', { role: 'developer' });
      expectRefused(await docker.push(image, ref('other/with-token')), 'denied');

      await portcullis.admin.call('PUT', '/projects/team/members/carol', { role: 'guest' });
      expectRefused(await docker.push(image, ref('team/after-demotion')), 'denied');
      const pulled = await docker.pull(ref('team/with-token'));
      expect(pulled.code, pulled.stderr).toBe(0);
    });
  });
});
