/**
 * skopeo (containers/image) as a registry client. No daemon: "push" copies the OCI layout to
 * docker://, "pull" copies docker:// to a `dir:` so the manifest bytes arrive unchanged and their
 * sha256 is exactly the registry's manifest digest. Results never throw on non-zero exits.
 *
 *   const s = await skopeoClient();
 *   await s.login(reg.host, 'alice', 'secret');          // GET realm, Basic, no scope
 *   const p = await s.push(img, `${reg.host}/team/app:1`); // p.digest from --digestfile
 *   const q = await s.pull(`${reg.host}/team/app:1`, { creds: 'anonymous' });
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciImage } from '../image.js';
import { run, tempDir } from '../proc.js';
import { containersSandbox, sha256, type ClientResult, type Creds, type RegistryClient, type RunResult } from './common.js';

export interface SkopeoClient extends RegistryClient {
  readonly name: 'skopeo';
  readonly hasLogin: true;
  readonly authFile: string;
  login(host: string, user: string, password: string): Promise<RunResult>;
  logout(host: string): Promise<RunResult>;
  push(image: OciImage, ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  /** `authFile`: another credentials file than the sandbox's (a generated dockerconfigjson, say). */
  pull(ref: string, opts?: { creds?: Creds; authFile?: string }): Promise<ClientResult>;
  /** Manifest digest as the registry reports it (`skopeo inspect`), without downloading layers. */
  inspect(ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  /** Raw skopeo invocation in this sandbox, for anything else (delete, list-tags...). */
  exec(args: string[], input?: string): Promise<RunResult>;
  stop(): Promise<void>;
}

function credArgs(side: 'src' | 'dest' | '', creds: Creds | undefined): string[] {
  const p = side ? `--${side}-` : '--';
  if (creds === undefined) return [];
  if (creds === 'anonymous') return [`${p}no-creds`];
  return [`${p}creds`, `${creds.username}:${creds.password}`];
}

export async function skopeoClient(): Promise<SkopeoClient> {
  const tmp = await tempDir('skopeo');
  const { env, authFile, policy } = await containersSandbox(tmp.path);
  let n = 0;
  const exec = (args: string[], input?: string) => run('skopeo', ['--policy', policy, '--tmpdir', env.TMPDIR!, ...args], { env, input, timeoutMs: 60_000 });

  return {
    name: 'skopeo',
    hasLogin: true,
    authFile,
    exec,
    login: (host, user, password) => exec(['login', '--tls-verify=false', '--authfile', authFile, '-u', user, '--password-stdin', host], password),
    logout: (host) => exec(['logout', '--authfile', authFile, host]),
    async push(image, ref, opts = {}) {
      const digestFile = join(tmp.path, `push-${++n}.digest`);
      const res = await exec([
        'copy',
        '--retry-times',
        '0',
        '--dest-tls-verify=false',
        '--authfile',
        authFile,
        ...credArgs('dest', opts.creds),
        '--digestfile',
        digestFile,
        image.ociRef,
        `docker://${ref}`,
      ]);
      const digest = res.code === 0 ? (await readFile(digestFile, 'utf8')).trim() : undefined;
      return { ...res, digest };
    },
    async pull(ref, opts = {}) {
      const dest = join(tmp.path, `pull-${++n}`);
      const res = await exec([
        'copy',
        '--retry-times',
        '0',
        '--src-tls-verify=false',
        '--authfile',
        opts.authFile ?? authFile,
        ...credArgs('src', opts.creds),
        `docker://${ref}`,
        `dir:${dest}`,
      ]);
      const digest = res.code === 0 ? sha256(await readFile(join(dest, 'manifest.json'))) : undefined;
      return { ...res, digest };
    },
    async inspect(ref, opts = {}) {
      const res = await exec([
        'inspect',
        '--tls-verify=false',
        '--authfile',
        authFile,
        ...credArgs('', opts.creds),
        '--format',
        '{{.Digest}}',
        `docker://${ref}`,
      ]);
      return { ...res, digest: res.code === 0 ? res.stdout.trim() : undefined };
    },
    stop: tmp.remove,
  };
}
