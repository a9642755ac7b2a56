/**
 * A replicated deployment as the README describes it: one PostgreSQL, two Portcullis processes
 * signing with one key generated once by `portcullis keys generate` and copied to both, HAProxy
 * in front of them health-checking /readyz, and the real registry whose realm is HAProxy.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startHaproxy, type Haproxy } from '../../harness/haproxy.js';
import { startPostgres, type Postgres } from '../../harness/postgres.js';
import { runOk, tempDir } from '../../harness/proc.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { BIN, ISSUER, SERVICE, startPortcullis, type Portcullis, type StartOptions } from './portcullis.js';

export interface Replicas {
  postgres: Postgres;
  a: Portcullis;
  b: Portcullis;
  lb: Haproxy;
  registry: Registry;
  /** Output of every process, for failure messages and the secret scan. */
  logs(): string;
  stop(): Promise<void>;
}

export async function startReplicas(opts: Pick<StartOptions, 'configYaml'> = {}): Promise<Replicas> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
  };
  try {
    const keys = await tempDir('replica-keys');
    started.push({ stop: keys.remove });
    await runOk(process.execPath, [BIN, 'keys', 'generate', '--dir', keys.path]);
    const prepareKeys = async (dir: string) => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const f of ['token.key', 'token.crt']) await copyFile(join(keys.path, f), join(dir, f));
    };
    const postgres = await startPostgres();
    started.push({ stop: postgres.destroy });
    const databaseUrl = await postgres.createDatabase('portcullis_replicas');
    // Together, as an orchestrator starts them: one migrates and bootstraps, the other waits on the lock.
    const both = await Promise.allSettled([0, 1].map(() => startPortcullis({ databaseUrl, prepareKeys, configYaml: opts.configYaml })));
    const [a, b] = both.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    for (const p of [a, b]) if (p) started.push(p);
    for (const r of both) if (r.status === 'rejected') throw r.reason;
    if (!a || !b) throw new Error('unreachable: both replicas started');
    const lb = await startHaproxy({ servers: [portOf('a', a), portOf('b', b)], healthPath: '/readyz' });
    started.push(lb);
    await Promise.all(['a', 'b'].map((s) => lb.untilServer(s, 'UP')));
    const registry = await startRegistry({ realm: `${lb.url}/token`, service: SERVICE, issuer: ISSUER, rootCertBundle: a.bundlePem });
    started.push(registry);
    return {
      postgres,
      a,
      b,
      lb,
      registry,
      logs: () => [a.logs(), b.logs(), lb.logs(), registry.logs()].join('\n'),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `GET /token` with Basic auth, as skopeo and docker send it; `scope` omitted: a login. */
export function tokenRequest(base: string, creds: { username: string; password: string }, scope?: string): Promise<Response> {
  const query = new URLSearchParams({ account: creds.username, ...(scope ? { scope } : {}), service: SERVICE });
  return fetch(`${base}/token?${query}`, { headers: { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } });
}

function portOf(name: string, p: Portcullis): { name: string; port: number } {
  return { name, port: Number(new URL(p.url).port) };
}
