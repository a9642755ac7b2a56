/**
 * The real registry (Debian `docker-registry`, distribution 2.8.2) with token auth, on a free
 * loopback port, storage in a temp dir. Plain HTTP: every client here accepts HTTP on 127.0.0.1
 * (skopeo/podman with --tls-verify=false, ctr with --plain-http, dockerd treats loopback as
 * insecure by default).
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { pollUntil, startDaemon, tempDir } from './proc.js';

export interface RegistryOptions {
  realm: string;
  service: string;
  issuer: string;
  /** PEM text of the trusted cert(s), or the path of a PEM file. */
  rootCertBundle: string;
  /**
   * REGISTRY_AUTH* variables to configure auth with instead of the config file, as a container
   * deployment does; the options above are then ignored.
   */
  authEnv?: Record<string, string>;
  /** The config's `notifications` section (e.g. what `portcullis registry-config` prints). */
  notifications?: unknown;
}

export interface Registry {
  /** '127.0.0.1:PORT', the registry part of image references. */
  host: string;
  /** 'http://127.0.0.1:PORT' */
  url: string;
  stop(): Promise<void>;
  /**
   * Stops the registry and starts it again on the same port, storage and config: it re-reads
   * its rootcertbundle, as a registry restarted on a new bundle does.
   */
  restart(): Promise<void>;
  /** Registry output so far (access log included), for failure messages. */
  logs(): string;
}

export async function startRegistry(opts: RegistryOptions): Promise<Registry> {
  const tmp = await tempDir('registry');
  let bundle = opts.rootCertBundle;
  if (bundle.includes('-----BEGIN')) {
    bundle = join(tmp.path, 'bundle.pem');
    await writeFile(bundle, opts.rootCertBundle);
  }
  // freePort() releases the port before the registry binds it; another process can take it in
  // between, so a bind failure retries on a fresh port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), opts, tmp.path, bundle);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) {
        await tmp.remove();
        throw err;
      }
    }
  }
}

async function startOn(port: number, opts: RegistryOptions, dir: string, bundle: string): Promise<Registry> {
  const host = `127.0.0.1:${port}`;
  // JSON is valid YAML, so no YAML emitter is needed.
  const config = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'data') },
      delete: { enabled: true },
      // The default purger starts a goroutine that walks storage; pointless for a short test.
      maintenance: { uploadpurging: { enabled: false } },
      cache: { blobdescriptor: 'inmemory' },
    },
    // A fixed secret avoids the "No HTTP secret provided" warning.
    http: { addr: host, secret: randomBytes(16).toString('hex'), draintimeout: '0s' },
    ...(opts.authEnv ? {} : { auth: { token: { realm: opts.realm, service: opts.service, issuer: opts.issuer, rootcertbundle: bundle } } }),
    ...(opts.notifications ? { notifications: opts.notifications } : {}),
  };
  const configPath = join(dir, `config-${port}.yml`);
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const env = opts.authEnv ? { ...process.env, ...opts.authEnv } : process.env;
  let earlier = '';
  const launch = async () => {
    const daemon = startDaemon('docker-registry', ['serve', configPath], { cwd: dir, env, keepBytes: 200_000 });
    try {
      await pollUntil(() => answersV2(`http://${host}`), daemon.exited, 'registry');
    } catch (err) {
      await daemon.stop();
      throw new Error(`registry did not start: ${(err as Error).message}\n${daemon.output()}`);
    }
    return daemon;
  };
  let daemon = await launch();
  const stop = async () => {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const restart = async () => {
    await daemon.stop();
    earlier += daemon.output();
    daemon = await launch();
  };
  return { host, url: `http://${host}`, stop, restart, logs: () => (earlier + daemon.output()).slice(-200_000) };
}

/** With token auth and no token, GET /v2/ answers 401: that means the registry is serving. */
async function answersV2(url: string): Promise<boolean> {
  const res = await fetch(`${url}/v2/`).catch(() => null);
  if (!res) return false;
  await res.arrayBuffer();
  if (res.status === 401 || res.status === 200) return true;
  throw new Error(`GET /v2/ answered ${res.status}`);
}
