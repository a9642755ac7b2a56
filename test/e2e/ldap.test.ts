/**
 * Issue 3 end to end: LDAP users log in with docker through the real registry. Their access
 * comes from a directory group that is a developer member of a private project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dockerClient, startDockerd, type DockerClient, type Dockerd } from '../harness/clients/docker.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { requireBinary } from '../harness/proc.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';
import { LDAP_USERS } from '../fixtures/ldap/index.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis } from './helpers/portcullis.js';
import { expectRealmAnswered, expectRefused, realmAnswers } from './helpers/refusals.js';

describe('docker with LDAP users through the real registry', () => {
  let slapd: Slapd;
  let portcullis: Portcullis;
  let registry: Registry;
  let dockerd: Dockerd;
  let docker: DockerClient;
  let image: OciImage;
  const ref = (repo: string) => `${registry.host}/${repo}:v1`;

  beforeAll(async () => {
    for (const bin of ['docker-registry', 'dockerd', 'slapd']) await requireBinary(bin);
    slapd = await startSlapd();
    const config = {
      auth: { backends: ['local', 'ldap'] },
      ldap: searchModeConfig(slapd, { startTls: true, caFile: slapd.caFile, groups: { source: 'memberOf' } }),
    };
    portcullis = await startPortcullis({ configYaml: stringify(config) });
    registry = await startRegistry({ realm: portcullis.realm, service: SERVICE, issuer: ISSUER, rootCertBundle: portcullis.bundlePem });
    await portcullis.admin.call('POST', '/projects', { name: 'secret', public: false });
    await portcullis.admin.call('PUT', '/projects/secret/members/group:developers', { role: 'developer' });
    [dockerd, image] = await Promise.all([startDockerd(), makeOciImage()]);
    docker = await dockerClient(dockerd);
  });

  afterAll(async () => {
    await docker?.stop();
    await dockerd?.stop();
    await image?.remove();
    await registry?.stop();
    await portcullis?.stop();
    await slapd?.close();
  });

  it('a member of the developers group logs in, pushes to the private project, and pulls it back', async () => {
    const { alice } = LDAP_USERS;
    const login = await docker.login(registry.host, alice.uid, alice.password);
    expect(login.code, login.stderr + portcullis.logs().slice(-2000)).toBe(0);
    const pushed = await docker.push(image, ref('secret/app'));
    expect(pushed.code, pushed.stderr).toBe(0);
    const pulled = await docker.pull(ref('secret/app'));
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.digest).toBe(pushed.digest);
  });

  it('an LDAP user outside that group logs in but is refused the push', async () => {
    const { bob } = LDAP_USERS;
    const push = await docker.push(image, ref('secret/outsider'), { creds: { username: bob.uid, password: bob.password } });
    expectRefused(push, 'denied');
  });

  it('a wrong LDAP password is refused at login', async () => {
    const before = realmAnswers(portcullis.logs(), 401);
    expectRefused(await docker.login(registry.host, LDAP_USERS.alice.uid, 'not-her-password'), 'auth');
    await expectRealmAnswered(portcullis, 401, before);
  });
});
