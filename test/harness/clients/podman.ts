/**
 * podman (containers/image + containers/storage) as a registry client, with vfs storage and every
 * libpod path (root, runroot, tmpdir, volumes, networks, events) in a temp dir. podman has no
 * daemon; each call is a fresh process reading our storage.conf/containers.conf.
 *
 * push() first imports the OCI layout into local storage (`podman pull oci:`), tags it, and pushes;
 * podman recompresses layers, so the pushed digest differs from `image.manifestDigest`: compare
 * push().digest (from --digestfile) with pull().digest (.Digest of the freshly pulled image).
 * pull() empties local storage first, so the digest reported is the one the registry served.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OciImage } from '../image.js';
import { run, tempDir } from '../proc.js';
import { containersSandbox, type ClientResult, type Creds, type RegistryClient, type RunResult } from './common.js';

export interface PodmanClient extends RegistryClient {
  readonly name: 'podman';
  readonly hasLogin: true;
  readonly authFile: string;
  login(host: string, user: string, password: string): Promise<RunResult>;
  logout(host: string): Promise<RunResult>;
  push(image: OciImage, ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  pull(ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  /** Raw podman invocation in this sandbox. */
  exec(args: string[], input?: string): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function podmanClient(): Promise<PodmanClient> {
  const tmp = await tempDir('podman');
  const { env, authFile, policy } = await containersSandbox(tmp.path);
  const d = (p: string) => join(tmp.path, p);
  const storageConf = d('storage.conf');
  const containersConf = d('containers.conf');
  await writeFile(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${d('storage')}"\nrunroot = "${d('runroot')}"\n`);
  await writeFile(
    containersConf,
    [
      '[engine]',
      `tmp_dir = "${d('libpod-tmp')}"`,
      `volume_path = "${d('volumes')}"`,
      `static_dir = "${d('storage/libpod')}"`,
      'events_logger = "none"',
      'cgroup_manager = "cgroupfs"',
      '[network]',
      `network_config_dir = "${d('networks')}"`,
      '',
    ].join('\n'),
  );
  // An empty auth file for anonymous calls: podman has no --no-creds.
  const anonAuth = d('anon-auth.json');
  const lower = join(tmpdir(), `portcullis-podman-${randomBytes(6).toString('hex')}`);
  await mkdir(lower);
  let n = 0;
  await writeFile(anonAuth, '{"auths":{}}\n');
  const penv = { ...env, CONTAINERS_STORAGE_CONF: storageConf, CONTAINERS_CONF: containersConf };
  const exec = (args: string[], input?: string) =>
    run(
      'podman',
      [
        '--root',
        d('storage'),
        '--runroot',
        d('runroot'),
        '--tmpdir',
        d('libpod-tmp'),
        '--storage-driver',
        'vfs',
        '--events-backend',
        'none',
        '--cgroup-manager',
        'cgroupfs',
        '--network-config-dir',
        d('networks'),
        ...args,
      ],
      { env: penv, input, timeoutMs: 60_000 },
    );

  const authArgs = (creds: Creds | undefined): string[] => {
    if (creds === 'anonymous') return ['--authfile', anonAuth];
    if (creds) return ['--authfile', anonAuth, '--creds', `${creds.username}:${creds.password}`];
    return ['--authfile', authFile];
  };

  return {
    name: 'podman',
    hasLogin: true,
    authFile,
    exec,
    login: (host, user, password) => exec(['login', '--tls-verify=false', '--authfile', authFile, '-u', user, '--password-stdin', host], password),
    logout: (host) => exec(['logout', '--authfile', authFile, host]),
    async push(image, ref, opts = {}) {
      // --signature-policy: the containers.conf lookup would otherwise read /etc/containers/policy.json.
      // podman names an oci: import after its path, and mkdtemp paths have upper case letters, which
      // are invalid in a reference; so import from a lower-case copy (the image is a few kB).
      const copy = join(lower, `img-${++n}`);
      await cp(image.dir, copy, { recursive: true });
      const load = await exec(['pull', '-q', '--signature-policy', policy, `oci:${copy}:${image.tag}`]);
      if (load.code !== 0) return load;
      const id = load.stdout.trim().split('\n').pop() ?? '';
      const tag = await exec(['tag', id, ref]);
      if (tag.code !== 0) return tag;
      const digestFile = d(`push-${++n}.digest`);
      const res = await exec(['push', '--tls-verify=false', ...authArgs(opts.creds), '--digestfile', digestFile, ref]);
      const digest = res.code === 0 ? (await readFile(digestFile, 'utf8')).trim() : undefined;
      return { ...res, digest };
    },
    async pull(ref, opts = {}) {
      // Empty local storage first: an image already present under another name (from push) keeps
      // its first digest as .Digest, which would hide what the registry actually served.
      await exec(['rmi', '-a', '-f']);
      const res = await exec(['pull', '--tls-verify=false', '--signature-policy', policy, ...authArgs(opts.creds), ref]);
      if (res.code !== 0) return res;
      const ins = await exec(['image', 'inspect', '--format', '{{.Digest}}', ref]);
      return { ...res, digest: ins.code === 0 ? ins.stdout.trim() : undefined };
    },
    // vfs layers are plain directories (no mounts), so removing the temp dir is the whole cleanup.
    async stop() {
      await rm(lower, { recursive: true, force: true });
      await tmp.remove();
    },
  };
}
