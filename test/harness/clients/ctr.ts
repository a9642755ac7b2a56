/**
 * ctr (containerd 1.6) as a registry client, against a daemon from ./containerd.ts.
 *
 * ctr has no login: it sends `--user u:p` with every pull/push. Its token fetch POSTs an OAuth2
 * password-grant form to the realm first and falls back to GET + Basic on 400/401/404. So this
 * wrapper's login() only remembers credentials (`hasLogin` is false) and refusals show at pull/push.
 *
 *   const cd = await startContainerd();           // once per test file
 *   const c = await ctrClient(cd);                // own containerd namespace
 *   c.login(reg.host, 'alice', 'secret');
 *   const p = await c.push(img, `${reg.host}/team/app:1`);  // p.digest: the pushed manifest
 */
import { randomBytes } from 'node:crypto';
import type { OciImage } from '../image.js';
import { run } from '../proc.js';
import type { Containerd } from './containerd.js';
import type { ClientResult, Creds, RegistryClient, RunResult } from './common.js';

export interface CtrClient extends RegistryClient {
  readonly name: 'ctr';
  /** false: ctr has no login command; see the module comment. */
  readonly hasLogin: false;
  /** Remembers credentials for later pulls/pushes to `host`; sends nothing. */
  login(host: string, user: string, password: string): Promise<RunResult>;
  logout(host: string): Promise<RunResult>;
  push(image: OciImage, ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  pull(ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  /** Raw `ctr -a SOCK -n NS ...`. */
  exec(args: string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

export { startContainerd, type Containerd } from './containerd.js';

export async function ctrClient(cd: Containerd, opts: { namespace?: string } = {}): Promise<CtrClient> {
  const ns = opts.namespace ?? `e2e-${randomBytes(4).toString('hex')}`;
  // A bare env: CONTAINERD_* variables from the caller would override the flags' defaults.
  const exec = (args: string[]) => run('ctr', ['-a', cd.address, '-n', ns, ...args], { env: { PATH: process.env.PATH }, timeoutMs: 60_000 });
  const logins = new Map<string, Exclude<Creds, 'anonymous'>>();
  const hostOf = (ref: string) => ref.slice(0, ref.indexOf('/'));
  const userArgs = (ref: string, creds: Creds | undefined): string[] => {
    const c = creds ?? logins.get(hostOf(ref));
    return c && c !== 'anonymous' ? ['--user', `${c.username}:${c.password}`] : [];
  };
  /** The target digest of a stored image, from `ctr images ls` (REF TYPE DIGEST ...). */
  const digestOf = async (ref: string) => {
    const ls = await exec(['images', 'ls']);
    const line = ls.stdout.split('\n').find((l) => l.split(/\s+/)[0] === ref);
    return line?.split(/\s+/)[2];
  };
  let n = 0;
  const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });

  return {
    name: 'ctr',
    hasLogin: false,
    exec,
    login: async (host, username, password) => {
      logins.set(host, { username, password });
      return ok();
    },
    logout: async (host) => {
      logins.delete(host);
      return ok();
    },
    async push(image, ref, o = {}) {
      // --base-name turns the layout's bare tag annotation into a full local name.
      const local = `localhost/e2e/import-${++n}`;
      const imp = await exec(['images', 'import', '--base-name', local, '--no-unpack', await image.archive()]);
      if (imp.code !== 0) return imp;
      const localRef = `${local}:${image.tag}`;
      const res = await exec(['images', 'push', '--plain-http', ...userArgs(ref, o.creds), ref, localRef]);
      // ctr pushes the stored manifest unchanged, so the pushed digest is the local image's.
      return { ...res, digest: res.code === 0 ? await digestOf(localRef) : undefined };
    },
    async pull(ref, o = {}) {
      // Forget any earlier copy so the pull resolves the tag against the registry again.
      await exec(['images', 'rm', ref]);
      const res = await exec(['images', 'pull', '--plain-http', '--snapshotter', 'native', ...userArgs(ref, o.creds), ref]);
      return { ...res, digest: res.code === 0 ? await digestOf(ref) : undefined };
    },
    async stop() {
      // Namespaces are per client; the daemon's temp dir holds the data, removed by cd.stop().
      const imgs = (await exec(['images', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      if (imgs.length) await exec(['images', 'rm', ...imgs]);
    },
  };
}
