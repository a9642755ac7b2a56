/**
 * Shared shapes for the client wrappers, and the sandbox that keeps containers/image tools
 * (skopeo, podman) out of system paths.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciImage } from '../image.js';
import type { RunResult } from '../proc.js';

export type { RunResult };

/** A client command's outcome; `digest` is the manifest digest when the command reported one. */
export interface ClientResult extends RunResult {
  digest?: string;
}

/**
 * Per-command credentials: a user, or explicitly none (anonymous). Omitted = the login state.
 * The account shape of the admin API and of test/fixtures/accounts.ts, so accounts pass as they are.
 */
export type Creds = { username: string; password: string } | 'anonymous';

/**
 * What every wrapper offers, so a test can loop over clients. Each wrapper returns results and
 * never throws on a refusal; `hasLogin` is false for ctr, whose login() only stores credentials.
 */
export interface RegistryClient {
  readonly name: 'skopeo' | 'podman' | 'docker' | 'ctr';
  readonly hasLogin: boolean;
  login(host: string, user: string, password: string): Promise<RunResult>;
  logout(host: string): Promise<RunResult>;
  /** Pushes `image` as `ref` (HOST/REPO:TAG); `digest` is the manifest digest the client pushed. */
  push(image: OciImage, ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  /** Pulls `ref` afresh; `digest` is the manifest digest the registry served. */
  pull(ref: string, opts?: { creds?: Creds }): Promise<ClientResult>;
  stop(): Promise<void>;
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The first `sha256:<64 hex>` in some text, if any. */
export function findDigest(text: string, after = ''): string | undefined {
  const m = new RegExp(`${after}(sha256:[0-9a-f]{64})`).exec(text);
  return m?.[1];
}

/**
 * Env and config files for skopeo/podman. Setting _CONTAINERS_ROOTLESS_UID makes containers/image
 * believe it runs rootless, which moves its blob-info cache from /var/lib/containers/cache to
 * XDG_DATA_HOME; HOME/XDG_* keep auth.json, policy and registries lookups in the sandbox.
 */
export async function containersSandbox(root: string): Promise<{ env: NodeJS.ProcessEnv; authFile: string; policy: string }> {
  const d = (p: string) => join(root, p);
  for (const p of ['home', 'run', 'config', 'data', 'cache', 'tmp']) await mkdir(d(p), { recursive: true, mode: 0o700 });
  const authFile = d('auth.json');
  // Where containers/image looks before /etc/containers/policy.json, so even calls without
  // --policy/--signature-policy stay in the sandbox.
  await mkdir(d('home/.config/containers'), { recursive: true });
  const policy = d('home/.config/containers/policy.json');
  const registries = d('registries.conf');
  await writeFile(authFile, '{"auths":{}}\n', { mode: 0o600 });
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  // No search registries and no mirrors: only the fully-qualified names the tests give.
  await writeFile(registries, 'unqualified-search-registries = []\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: d('home'),
    XDG_RUNTIME_DIR: d('run'),
    XDG_CONFIG_HOME: d('config'),
    XDG_DATA_HOME: d('data'),
    XDG_CACHE_HOME: d('cache'),
    TMPDIR: d('tmp'),
    _CONTAINERS_ROOTLESS_UID: '1000',
    REGISTRY_AUTH_FILE: authFile,
    CONTAINERS_REGISTRIES_CONF: registries,
  };
  return { env, authFile, policy };
}
