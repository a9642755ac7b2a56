/**
 * `docker-compose up` as README "docker-compose" describes it, run for real: the project's
 * Dockerfile built, PostgreSQL, OpenLDAP and the registry started from docker-compose.yml, on
 * stand-in images built from Debian packages (test/harness/debian-images.ts) through
 * test/fixtures/compose/docker-compose.offline.yml. dockerd has a network namespace of its own,
 * so the compose file's own network and published ports (localhost:5000, :5001) are used as they
 * are, and `docker login localhost:5000` is what a user types. Containers, volumes and networks
 * live in that dockerd's data-root, removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findDigest } from '../harness/clients/common.js';
import { dockerClient, overlayfsAvailable, startDockerd, type DockerClient, type Dockerd } from '../harness/clients/docker.js';
import { importStandIns } from '../harness/debian-images.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { pollUntil, requireBinary, run, runOk, tempDir } from '../harness/proc.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OVERRIDE = 'test/fixtures/compose/docker-compose.offline.yml';
const REGISTRY = 'localhost:5000';
const JANE = { username: 'jane', password: 'jane-change-me' }; // deploy/ldap/50-portcullis.ldif

type ComposeFile = { services: Record<string, { environment: Record<string, string> }> };

const timings: string[] = [];
async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await fn();
  timings.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

describe('docker-compose up, offline', () => {
  const project = `portcullis${randomBytes(4).toString('hex')}`;
  const adminPassword = randomBytes(12).toString('hex');
  let dockerd: Dockerd;
  let docker: DockerClient;
  let image: OciImage;
  let home: Awaited<ReturnType<typeof tempDir>>;
  let bundlePath: string;

  const compose = (args: string[], timeoutMs = 120_000) =>
    runOk('docker-compose', ['-f', 'docker-compose.yml', '-f', OVERRIDE, '-p', project, ...args], {
      cwd: ROOT,
      timeoutMs,
      env: {
        PATH: process.env.PATH,
        HOME: home.path,
        DOCKER_HOST: dockerd.host,
        DOCKER_CONFIG: docker.configDir,
        // docker-py's builder: the same one whichever docker CLI is first on PATH.
        COMPOSE_DOCKER_CLI_BUILD: '0',
        PORTCULLIS_ADMIN_PASSWORD: adminPassword,
      },
    });

  /** `up -d` returns once Portcullis is healthy (the registry depends on that); then the registry must answer. */
  const up = async (timeoutMs: number) => {
    await compose(['up', '-d'], timeoutMs);
    await pollUntil(async () => (await docker.login(REGISTRY, 'admin', adminPassword)).code === 0, undefined, 'admin login', 30_000, 500);
  };
  // DockerClient.pull removes every local image, the compose services' included; only this one must go.
  const pullAfresh = async (ref: string) => {
    await docker.exec(['rmi', ref]);
    const res = await docker.exec(['pull', ref]);
    return { ...res, digest: findDigest(res.stdout, 'Digest: ') };
  };
  const janeLogin = () => docker.exec(['login', '-u', JANE.username, '--password-stdin', REGISTRY], { input: JANE.password, configDir: home.path });
  const signingBundle = async () => (await compose(['exec', '-T', 'registry', 'cat', bundlePath])).stdout;

  beforeAll(async () => {
    for (const bin of ['dockerd', 'containerd', 'docker-compose', 'mmdebstrap', 'slirp4netns', 'nsenter', 'unshare', 'ip']) await requireBinary(bin);
    const file = parse(await readFile(`${ROOT}/docker-compose.yml`, 'utf8')) as ComposeFile;
    const bundle = file.services.registry?.environment.REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE;
    if (!bundle) throw new Error('docker-compose.yml: registry has no REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE');
    bundlePath = bundle;
    home = await tempDir('compose-home');
    // vfs copies the whole image for each of the build's steps and containers: minutes more.
    const storageDriver = (await overlayfsAvailable()) ? 'overlay2' : 'vfs';
    timings.push(`storage driver: ${storageDriver}`);
    dockerd = await startDockerd({ network: 'private', storageDriver });
    docker = await dockerClient(dockerd);
    const built = await timed('stand-in images (build or cache, import)', () =>
      importStandIns((args) => docker.exec(args), ['registry', 'postgres', 'openldap', 'node']),
    );
    for (const b of built) if (b.buildMs !== undefined) timings.push(`  mmdebstrap ${b.name}: ${(b.buildMs / 1000).toFixed(1)} s`);
    image = await makeOciImage();
  }, 40 * 60_000);

  afterAll(async () => {
    if (dockerd && home)
      await run('docker-compose', ['-f', 'docker-compose.yml', '-f', OVERRIDE, '-p', project, 'down', '-v'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: home.path, DOCKER_HOST: dockerd.host },
      }).catch(() => undefined);
    await image?.remove();
    await docker?.stop();
    await dockerd?.stop();
    await home?.remove();
    console.info(`compose-up timings:\n${timings.join('\n')}`);
  }, 5 * 60_000);

  it(
    'serves logins, pushes and pulls; keeps users, images and keys across down and up; down -v removes them',
    async () => {
      await timed('first up (builds the Portcullis image)', () => up(15 * 60_000));
      // The Dockerfile's runtime user owns its data and certs directories, fresh named volume included.
      await compose(['exec', '-T', 'portcullis', 'sh', '-c', 'test "$(id -un)" = node && test -w /var/lib/portcullis && test -w /var/lib/portcullis/certs']);

      const ref = `${REGISTRY}/library/compose-up:1`;
      const pushed = await timed('push', () => docker.push(image, ref));
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.digest).toMatch(/^sha256:/);
      const pulled = await pullAfresh(ref);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pulled.digest).toBe(pushed.digest);
      const jane = await janeLogin();
      expect(jane.code, jane.stderr).toBe(0);
      const bundle = await signingBundle();
      expect(bundle).toContain('-----BEGIN CERTIFICATE-----');

      await timed('down', () => compose(['down']));
      await docker.logout(REGISTRY);
      await timed('second up', () => up(5 * 60_000));
      const again = await pullAfresh(ref);
      expect(again.code, again.stderr).toBe(0);
      expect(again.digest).toBe(pushed.digest);
      const janeAgain = await janeLogin();
      expect(janeAgain.code, janeAgain.stderr).toBe(0);
      expect(await signingBundle()).toBe(bundle);

      await timed('down -v', () => compose(['down', '-v']));
      const leftovers = await Promise.all([
        docker.exec(['ps', '-aq']),
        docker.exec(['volume', 'ls', '-q']),
        docker.exec(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]),
      ]);
      expect(leftovers.map((r) => r.stdout.trim())).toEqual(['', '', '']);
    },
    30 * 60_000,
  );
});
