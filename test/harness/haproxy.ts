/**
 * HAProxy (Debian `haproxy`, 2.6) as the load balancer in front of several service processes:
 * foreground (`-db`), on a free loopback port, config in a temp dir, a request log on stdout and
 * a stats listener on a second port, from which the test reads what HAProxy thinks of each
 * server (UP, DOWN) instead of guessing from timings.
 *
 *   const lb = await startHaproxy({ servers: [{ name: 'a', port: pa }, { name: 'b', port: pb }], healthPath: '/readyz' });
 *   await lb.untilServer('a', 'DOWN');
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { pollUntil, requireBinary, startDaemon, tempDir } from './proc.js';

export interface HaproxyServer {
  name: string;
  port: number;
}

export interface HaproxyOptions {
  servers: HaproxyServer[];
  /** Health-checked with GET; a server that does not answer 2xx is taken out. */
  healthPath: string;
}

/** One request as HAProxy logged it: `retries` counts attempts after the first, `redispatched` a move to another server. */
export interface HaproxyRequest {
  /** When HAProxy accepted it, epoch ms. */
  at: number;
  method: string;
  path: string;
  status: number;
  server: string;
  retries: number;
  redispatched: boolean;
  /** HAProxy's termination state: `----` for a normal end, `sC--` for a server that refused the connection... */
  termination: string;
}

export interface Haproxy {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  /** HAProxy's view of each server: 'UP', 'DOWN', or a transition such as 'UP 1/2'. */
  serverStates(): Promise<Record<string, string>>;
  untilServer(name: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  /** Every request logged so far. */
  requests(): HaproxyRequest[];
  logs(): string;
  stop(): Promise<void>;
}

const BACKEND = 'replicas';
/** One parseable line per request: accept time (s.ms), method, path, status, server, retries (`+N` when redispatched), termination state. */
const LOG_FORMAT = 'req %Ts.%ms %HM %HP %ST %s %rc %tsc';

/**
 * Why each setting: a dead replica is out within two failed checks 200 ms apart, and back after
 * two good ones. Until then a request sent to it fails to connect (conn-failure), or was in
 * flight when it died and got no answer (empty-response); both are retried, each time on the
 * other server (`redispatch 1`). Token requests may be replayed: a token grants what the
 * credentials allow whichever replica signs it, and nothing else is written but a login failure.
 * `timeout connect` is short because loopback connects at once or never; it also sets the
 * pause before a retry on the same server.
 */
function config(port: number, statsPort: number, opts: HaproxyOptions): string {
  return [
    'global',
    '  log stdout format raw local0',
    '  maxconn 512',
    'defaults',
    '  mode http',
    '  log global',
    `  log-format "${LOG_FORMAT}"`,
    '  timeout connect 500ms',
    '  timeout client 30s',
    '  timeout server 30s',
    // A killed replica refuses connections at once; this only bounds a replica that hangs. The
    // default (inter, 200 ms) would take a live replica out on a busy machine.
    '  timeout check 2s',
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    // The client's address for the service's throttle, which trusts it from trustedProxies only.
    '  option forwardfor',
    'frontend portcullis',
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${BACKEND}`,
    `backend ${BACKEND}`,
    '  balance roundrobin',
    `  option httpchk GET ${opts.healthPath}`,
    '  http-check expect status 200',
    '  default-server check inter 200ms fall 2 rise 2',
    ...opts.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port}`),
    'listen stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  no log',
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
}

export async function startHaproxy(opts: HaproxyOptions): Promise<Haproxy> {
  await requireBinary('haproxy');
  const tmp = await tempDir('haproxy');
  // freePort() releases the ports before HAProxy binds them; a lost race retries on fresh ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), await freePort(), opts, tmp);
    } catch (err) {
      if (attempt >= 3 || !/cannot bind|address already in use/i.test((err as Error).message)) {
        await tmp.remove();
        throw err;
      }
    }
  }
}

async function startOn(port: number, statsPort: number, opts: HaproxyOptions, tmp: { path: string; remove(): Promise<void> }): Promise<Haproxy> {
  const file = join(tmp.path, `haproxy-${port}.cfg`);
  await writeFile(file, config(port, statsPort, opts));
  const daemon = startDaemon('haproxy', ['-db', '-f', file], { cwd: tmp.path, keepBytes: 5_000_000 });
  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  const serverStates = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(statsUrl)).text();
    const [header = '', ...rows] = csv.trim().split('\n');
    const cols = header.replace(/^# /, '').split(',');
    const at = (name: string) => cols.indexOf(name);
    const states: Record<string, string> = {};
    for (const row of rows) {
      const f = row.split(',');
      const server = f[at('svname')];
      if (f[at('pxname')] === BACKEND && server && server !== 'BACKEND') states[server] = f[at('status')] ?? '';
    }
    return states;
  };
  try {
    await pollUntil(
      () =>
        serverStates().then(
          (s) => Object.keys(s).length === opts.servers.length,
          () => false,
        ),
      daemon.exited,
      'haproxy',
      10_000,
    );
  } catch (err) {
    await daemon.stop();
    throw new Error(`haproxy did not start: ${(err as Error).message}\n${daemon.output()}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    serverStates,
    untilServer: (name, state, timeoutMs = 15_000) =>
      pollUntil(async () => (await serverStates())[name] === state, daemon.exited, `haproxy marking ${name} ${state}`, timeoutMs, 50),
    requests: () => parseRequests(daemon.output()),
    logs: daemon.output,
    stop: async () => {
      await daemon.stop();
      await tmp.remove();
    },
  };
}

function parseRequests(log: string): HaproxyRequest[] {
  const out: HaproxyRequest[] = [];
  for (const m of log.matchAll(/^req (\d+)\.(\d+) (\S+) (\S+) (-?\d+) (\S+) (\+?)(\d+) (\S+)$/gm)) {
    const [, s, ms, method = '', path = '', status, server = '', plus, retries, termination = ''] = m;
    const at = Number(s) * 1000 + Number(ms);
    out.push({ at, method, path, status: Number(status), server, redispatched: plus === '+', retries: Number(retries), termination });
  }
  return out;
}
