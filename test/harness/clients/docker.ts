/**
 * dockerd (Debian docker.io 20.10) plus the docker CLI as a registry client.
 *
 * dockerd gets a private containerd from ./containerd.ts (the one dockerd would spawn itself uses
 * a generated config that creates /opt/containerd on the host) and joins its mount namespace, which
 * has a tmpfs on /run, so whatever either mounts or writes under /run vanishes with the namespace.
 * Sharing it is what lets containers run with `--network host`: dockerd bind-mounts the host's
 * netns at exec-root/netns/default and runc (under containerd) must see that mount to setns into it.
 * Data-root, exec-root, pidfile, socket and daemon.json live in a temp dir; container cgroups go
 * under a parent named after it, removed on stop. vfs storage unless asked. By default no iptables and no
 * bridge: nothing touches the host network config, so containers have either no network or the
 * host's. With `{ network: 'private' }` dockerd runs in a network namespace of its own, where its
 * bridges, iptables rules and published ports live and die with it (docker-compose needs them);
 * slirp4netns gives that namespace outbound access (image builds fetch packages), and its
 * localhost is the one `docker login localhost:5000` reaches. 127.0.0.0/8 registries are
 * insecure by default, so plain HTTP works.
 *
 *   const d = await startDockerd();              // once per test file, ~1 s
 *   const c = await dockerClient(d);             // own DOCKER_CONFIG
 *   await c.login(reg.host, 'alice', 'secret');
 *   const p = await c.push(img, `${reg.host}/team/app:1`);   // p.digest from the push output
 *   const q = await c.pull(`${reg.host}/team/app:1`);        // q.digest from "Digest: ..."
 */
import { request } from 'node:http';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { OciImage } from '../image.js';
import { pollUntil, run, startDaemon, tempDir } from '../proc.js';
import { attachSlirp } from '../slirp.js';
import { startContainerd } from './containerd.js';
import { findDigest, type ClientResult, type Creds, type RegistryClient, type RunResult } from './common.js';

export interface Dockerd {
  host: string;
  logs(): string;
  startupMs: number;
  stop(): Promise<void>;
}

export interface DockerdOptions {
  /** 'host' (default): no bridge, containers get no network or `--network host`. */
  network?: 'host' | 'private';
  /**
   * 'vfs' (default) works on any filesystem but copies the whole image for every container and
   * every build step; 'overlay2' needs the kernel's overlayfs (see `overlayfsAvailable`).
   */
  storageDriver?: 'vfs' | 'overlay2';
}

/** Whether the kernel offers overlayfs, which dockerd's overlay2 storage driver needs. */
export async function overlayfsAvailable(): Promise<boolean> {
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  return /\toverlay$/m.test(filesystems);
}

export async function startDockerd(opts: DockerdOptions = {}): Promise<Dockerd> {
  const privateNetwork = opts.network === 'private';
  const t0 = Date.now();
  const tmp = await tempDir('dockerd');
  const containerd = await startContainerd().catch(async (err: unknown) => {
    await tmp.remove();
    throw err;
  });
  const d = (p: string) => join(tmp.path, p);
  const socket = d('docker.sock');
  const cgroupParent = basename(tmp.path);
  // An explicit config file keeps /etc/docker/daemon.json out of the picture. Without a key path
  // dockerd 20.10 creates its libtrust identity as /etc/docker/key.json on the host.
  await writeFile(d('daemon.json'), JSON.stringify({ 'deprecated-key-path': d('key.json') }));
  const args = [
    '--config-file',
    d('daemon.json'),
    '--data-root',
    d('data'),
    '--exec-root',
    d('exec'),
    '--pidfile',
    d('docker.pid'),
    '--host',
    `unix://${socket}`,
    '--storage-driver',
    opts.storageDriver ?? 'vfs',
    '--ip6tables=false',
    ...(privateNetwork ? [] : ['--iptables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none']),
    '--cgroup-parent',
    `/${cgroupParent}`,
    '--group',
    'root',
    '--log-level',
    'info',
    '--containerd',
    containerd.address,
  ];
  // nsenter, unshare and sh all exec, so dockerd keeps the child's pid and SIGTERM reaches it.
  // `unshare -n` leaves the new namespace's loopback down.
  const inNetns = privateNetwork ? ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh'] : [];
  const daemon = startDaemon('nsenter', [`--mount=${containerd.mountNamespace}`, '--', ...inNetns, 'dockerd', ...args], {
    killGroup: true,
    stopTimeoutMs: 10_000,
    keepBytes: 100_000,
  });
  const slirp = privateNetwork && daemon.child.pid !== undefined ? attachSlirp(daemon.child.pid, daemon.exited) : undefined;
  const stop = async () => {
    await daemon.stop();
    await (await slirp?.catch(() => undefined))?.stop();
    await containerd.stop();
    await removeCgroupParent(cgroupParent);
    await tmp.remove();
  };
  try {
    await slirp;
    await pollUntil(() => ping(socket), daemon.exited, 'dockerd', 30_000, 100);
  } catch (err) {
    const out = daemon.output();
    await stop();
    throw new Error(`dockerd did not start: ${(err as Error).message}\n${out}`);
  }
  return { host: `unix://${socket}`, logs: daemon.output, startupMs: Date.now() - t0, stop };
}

/** The empty per-daemon cgroup directories runc made in each hierarchy (v1) or the unified tree. */
async function removeCgroupParent(name: string): Promise<void> {
  const root = '/sys/fs/cgroup';
  const hierarchies = await readdir(root).catch(() => [] as string[]);
  for (const dir of [root, ...hierarchies.map((h) => join(root, h))]) {
    await rmdir(join(dir, name)).catch(() => undefined);
  }
}

/** GET /_ping on the daemon socket answers 200 once the API is up. */
function ping(socketPath: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export interface DockerClient extends RegistryClient {
  readonly name: 'docker';
  readonly hasLogin: true;
  readonly configDir: string;
  login(host: string, user: string, password: string): Promise<RunResult>;
  logout(host: string): Promise<RunResult>;
  /** Loads the image, tags it `ref`, pushes. creds: see `withCreds`. */
  push(image: OciImage, ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  /** Removes every local image first, so the pull really fetches. */
  pull(ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  exec(args: string[], opts?: { input?: string; configDir?: string }): Promise<RunResult>;
  stop(): Promise<void>;
}

/**
 * `cli` defaults to /usr/bin/docker (docker.io 20.10, matching the daemon). docker has no
 * per-command credentials, so `creds` runs the command with a throwaway DOCKER_CONFIG: empty for
 * 'anonymous', or logged in first (one extra realm request) for a user.
 */
export async function dockerClient(daemon: Dockerd, opts: { cli?: string } = {}): Promise<DockerClient> {
  const cli = opts.cli ?? '/usr/bin/docker';
  const tmp = await tempDir('docker');
  const configDir = join(tmp.path, 'config');
  await mkdir(configDir);
  let n = 0;
  const exec = (args: string[], o: { input?: string; configDir?: string } = {}) =>
    run(cli, args, {
      env: { PATH: process.env.PATH, HOME: tmp.path, DOCKER_HOST: daemon.host, DOCKER_CONFIG: o.configDir ?? configDir },
      input: o.input,
      timeoutMs: 60_000,
    });
  const login = (host: string, user: string, password: string, dir = configDir) =>
    exec(['login', '-u', user, '--password-stdin', host], { input: password, configDir: dir });
  const withCreds = async (host: string, creds: Creds | undefined, fn: (dir: string) => Promise<RunResult>) => {
    if (creds === undefined) return fn(configDir);
    const dir = join(tmp.path, `creds-${++n}`);
    await mkdir(dir);
    if (creds !== 'anonymous') {
      const res = await login(host, creds.username, creds.password, dir);
      if (res.code !== 0) return res;
    }
    return fn(dir);
  };
  const hostOf = (ref: string) => ref.slice(0, ref.indexOf('/'));

  return {
    name: 'docker',
    hasLogin: true,
    configDir,
    exec,
    login: (host, user, password) => login(host, user, password),
    logout: (host) => exec(['logout', host]),
    async push(image, ref, o = {}) {
      const load = await exec(['load', '-i', await image.dockerArchive(ref)]);
      if (load.code !== 0) return load;
      const res = await withCreds(hostOf(ref), o.creds, (dir) => exec(['push', ref], { configDir: dir }));
      // "TAG: digest: sha256:... size: N"
      return { ...res, digest: res.code === 0 ? findDigest(res.stdout, 'digest: ') : undefined };
    },
    async pull(ref, o = {}) {
      const ids = (await exec(['images', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await exec(['rmi', '-f', ...new Set(ids)]);
      const res = await withCreds(hostOf(ref), o.creds, (dir) => exec(['pull', ref], { configDir: dir }));
      return { ...res, digest: res.code === 0 ? findDigest(res.stdout, 'Digest: ') : undefined };
    },
    stop: tmp.remove,
  };
}
