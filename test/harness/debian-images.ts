/**
 * Stand-ins for the public images docker-compose.yml names, built from Debian packages because no
 * public image can be pulled where the tests run. mmdebstrap makes a minimal root filesystem
 * tarball per image; `docker import` turns it into a single-layer image in the test's dockerd.
 *
 * Tarballs are cached outside the repository ($PORTCULLIS_IMAGE_CACHE, else
 * $XDG_CACHE_HOME/portcullis-test-images, else ~/.cache/portcullis-test-images), named by a hash
 * of what goes into them, so changing a package list rebuilds that image and nothing else. A
 * fresh machine builds all four (see README "docker-compose" for how long that takes).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { requireBinary, runOk, type RunResult } from './proc.js';

export interface StandInSpec {
  suite: 'bookworm' | 'trixie';
  packages: string[];
  /** Shell run by mmdebstrap after installing, with the root filesystem's path in "$1". */
  customize?: string;
  /** A host directory `customize` copies from: its files' contents are part of the cache key. */
  hostFiles?: string;
}

const LOCAL_CAS = '/usr/local/share/ca-certificates';

export const STAND_INS = {
  registry: { suite: 'bookworm', packages: ['docker-registry'] },
  postgres: { suite: 'bookworm', packages: ['postgresql'] },
  // slapd's postinst leaves a dc=nodomain database in /var/lib/ldap, which a fresh volume would
  // copy; osixia's volume starts empty and the entrypoint seeds it.
  openldap: { suite: 'bookworm', packages: ['slapd', 'ldap-utils'], customize: 'rm -rf "$1"/var/lib/ldap/*' },
  // Debian 13 ships Node 20, the project's runtime. The official node image runs the Dockerfile's
  // runtime stage as `node` (uid/gid 1000); the stand-in must have that user too. Its `npm ci`
  // fetches packages, so behind a TLS-inspecting proxy it must trust the host's local CAs
  // (Debian's node reads the system store).
  node: {
    suite: 'trixie',
    packages: ['nodejs', 'npm', 'ca-certificates', 'passwd'],
    customize: [
      'chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
      `for c in ${LOCAL_CAS}/*.crt; do [ ! -e "$c" ] || cp "$c" "$1${LOCAL_CAS}/"; done`,
      'chroot "$1" update-ca-certificates >/dev/null',
    ].join(' && '),
    hostFiles: LOCAL_CAS,
  },
} as const satisfies Record<string, StandInSpec>;

export type StandInName = keyof typeof STAND_INS;

/** The name the compose override file uses for a stand-in image. */
export const standInImage = (name: StandInName) => `portcullis-test/${name}:latest`;

const MIRROR = process.env.PORTCULLIS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

// Documentation, manual pages and translations are dead weight here, and vfs storage copies the
// whole image for every container.
const DPKG_EXCLUDES = ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*'];

export function imageCacheDir(): string {
  if (process.env.PORTCULLIS_IMAGE_CACHE) return process.env.PORTCULLIS_IMAGE_CACHE;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'portcullis-test-images');
}

function mmdebstrapArgs(spec: StandInSpec, out: string): string[] {
  return [
    '--variant=minbase',
    '--format=tar',
    `--include=${spec.packages.join(',')}`,
    ...DPKG_EXCLUDES.map((p) => `--dpkgopt=path-exclude=${p}`),
    '--aptopt=Acquire::Retries "3"',
    ...(spec.customize ? [`--customize-hook=${spec.customize}`] : []),
    spec.suite,
    out,
    MIRROR,
  ];
}

/** The cached tarball's path: its name changes whenever the mmdebstrap command line would. */
export async function tarballPath(name: StandInName): Promise<string> {
  const spec: StandInSpec = STAND_INS[name];
  const hash = createHash('sha256').update(JSON.stringify(mmdebstrapArgs(spec, '')));
  if (spec.hostFiles) {
    const files = await readdir(spec.hostFiles).catch(() => [] as string[]);
    for (const f of files.sort()) hash.update(f).update(await readFile(join(spec.hostFiles, f)).catch(() => ''));
  }
  return join(imageCacheDir(), `${name}-${spec.suite}-${hash.digest('hex').slice(0, 16)}.tar`);
}

export interface BuiltTarball {
  name: StandInName;
  path: string;
  /** undefined when it came from the cache. */
  buildMs?: number;
}

/** Returns the cached tarball or builds it (written aside, then renamed: a crash leaves no half file). */
export async function standInTarball(name: StandInName): Promise<BuiltTarball> {
  const path = await tarballPath(name);
  if (
    await stat(path).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return { name, path };
  await requireBinary('mmdebstrap');
  await mkdir(imageCacheDir(), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  const t0 = Date.now();
  try {
    await runOk('mmdebstrap', mmdebstrapArgs(STAND_INS[name], partial), { timeoutMs: 20 * 60_000 });
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return { name, path, buildMs: Date.now() - t0 };
}

/**
 * Builds what the cache lacks (two at a time: mostly downloads and dpkg) and imports every
 * stand-in into a dockerd through `docker` (a docker CLI bound to it).
 */
export async function importStandIns(docker: (args: string[]) => Promise<RunResult>, names: StandInName[]): Promise<BuiltTarball[]> {
  const built: BuiltTarball[] = [];
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const tarball = await standInTarball(name);
      const res = await docker(['import', tarball.path, standInImage(name)]);
      if (res.code !== 0) throw new Error(`docker import ${name} failed: ${res.stderr}`);
      built.push(tarball);
    }
  };
  await Promise.all([worker(), worker()]);
  return built;
}
