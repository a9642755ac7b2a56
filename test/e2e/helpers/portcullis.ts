/**
 * The real service as users run it: the built CLI (`node bin/portcullis.js serve`) in its own
 * process, on a free loopback port, with its data and keys in a temp dir. Restartable on the
 * same port so the registry's realm stays valid.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AdminClient } from '../../../src/cli/admin-client.js';
import { ADMIN } from '../../fixtures/accounts.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil, startDaemon, tempDir, type Daemon } from '../../harness/proc.js';

export const SERVICE = 'registry.e2e';
export const ISSUER = 'portcullis-e2e';

/** The CLI as users run it. */
export const BIN = resolve(import.meta.dirname, '../../../bin/portcullis.js');

export interface Portcullis {
  url: string;
  realm: string;
  /** bundle.pem as the first start wrote it: what the registry's rootcertbundle names. */
  bundlePem: string;
  keysDir: string;
  /** The environment the service runs with, for CLI commands on its keys and store. */
  env: NodeJS.ProcessEnv;
  admin: AdminClient;
  /** Sends a signal to the running service (SIGHUP: reload the keys). */
  signal(signal: NodeJS.Signals): void;
  logs(): string;
  /** Stops gracefully (SIGTERM), then starts again on the same port and data. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill does: no request is finished, nothing is closed. `restart()` starts it again. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  databaseUrl?: string;
  identityTokens?: boolean;
  algorithm?: 'ES256' | 'RS256';
  service?: string;
  issuer?: string;
  /** YAML for --config, for options that have no environment variable. */
  configYaml?: string;
  /** Writes token.key/token.crt into the keys dir before the first start (else serve generates them). */
  prepareKeys?: (dir: string) => Promise<void>;
}

export async function startPortcullis(opts: StartOptions = {}): Promise<Portcullis> {
  await access(join(BIN, '../../dist/cli/main.js')).catch(() => {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before the e2e tests');
  });
  const tmp = await tempDir('portcullis');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
    PORTCULLIS_DATA_DIR: join(tmp.path, 'data'),
    PORTCULLIS_KEYS_DIR: join(tmp.path, 'certs'),
    PORTCULLIS_SERVICE: opts.service ?? SERVICE,
    PORTCULLIS_ISSUER: opts.issuer ?? ISSUER,
    // ADMIN.username is the configured default, which has no variable.
    PORTCULLIS_ADMIN_PASSWORD: ADMIN.password,
    PORTCULLIS_IDENTITY_TOKENS: String(opts.identityTokens ?? false),
    PORTCULLIS_LOG_LEVEL: 'info',
    PORTCULLIS_TOKEN_ALGORITHM: opts.algorithm ?? 'ES256',
    ...(opts.databaseUrl ? { PORTCULLIS_DATABASE_URL: opts.databaseUrl } : {}),
  };
  const args = [BIN, 'serve'];
  if (opts.configYaml) {
    await writeFile(join(tmp.path, 'portcullis.yaml'), opts.configYaml);
    args.push('--config', join(tmp.path, 'portcullis.yaml'));
  }
  await opts.prepareKeys?.(join(tmp.path, 'certs'));
  let log = '';
  let daemon: Daemon | undefined;
  const start = async () => {
    const d = startDaemon(process.execPath, args, { env, cwd: tmp.path, keepBytes: 2_000_000 });
    daemon = d;
    await pollUntil(
      () =>
        fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      d.exited,
      'portcullis',
      30_000,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${d.output()}`);
    });
  };
  const stopProcess = async (signal?: 'SIGKILL') => {
    if (!daemon) return;
    if (signal) {
      daemon.child.kill(signal);
      await daemon.exited;
    } else await daemon.stop();
    log += daemon.output();
    daemon = undefined;
  };
  await start().catch(async (err: unknown) => {
    await stopProcess();
    await tmp.remove();
    throw err;
  });
  return {
    url,
    realm: `${url}/token`,
    bundlePem: await readFile(join(tmp.path, 'certs', 'bundle.pem'), 'utf8'),
    keysDir: join(tmp.path, 'certs'),
    env,
    signal: (signal) => {
      daemon?.child.kill(signal);
    },
    admin: new AdminClient({ url, user: ADMIN.username, password: ADMIN.password }),
    logs: () => log + (daemon?.output() ?? ''),
    restart: async () => {
      await stopProcess();
      await start();
    },
    kill: () => stopProcess('SIGKILL'),
    stop: async () => {
      await stopProcess();
      await tmp.remove();
    },
  };
}
