/**
 * Client traffic kept running while something breaks underneath: each client pushes a new tag
 * and pulls it back, over and over, and a few token requests a second go straight to the realm.
 * `chaos` starts once every client has a few operations behind it; the traffic goes on until it
 * has finished and each client has done a few more. Every operation is timed, so a test can show
 * that the traffic really ran across what `chaos` did.
 */
import type { RegistryClient } from '../../harness/clients/common.js';
import type { OciImage } from '../../harness/image.js';

export interface Op {
  what: string;
  ok: boolean;
  startedAt: number;
  endedAt: number;
  /** What the client printed, for a failure. */
  output?: string;
}

export interface Tally {
  name: string;
  ops: Op[];
}

/** A replica's time away, from its kill until the load balancer had it back. */
export interface Outage {
  replica: string;
  killedAt: number;
  backAt: number;
}

export interface ChurnClient {
  name: string;
  client: RegistryClient;
  image: OciImage;
  /** HOST/REPO the client pushes numbered tags to. */
  repo: string;
}

export interface ChurnOptions {
  clients: ChurnClient[];
  /** A token request, sent over and over by two workers alongside the clients; anything but 200 is a failure. */
  tokenRequest: () => Promise<Response>;
  chaos: () => Promise<void>;
  /** Operations each client completes before chaos starts, and after it ends (default 2 each). */
  before?: number;
  after?: number;
  /** A bound on each client's operations, should chaos never end (default 80). */
  maxOps?: number;
}

export interface ChurnResult {
  clients: Tally[];
  hammer: { sent: number; failed: string[] };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export async function churn(opts: ChurnOptions): Promise<ChurnResult> {
  const { before = 2, after = 2, maxOps = 80 } = opts;
  let chaosDone = false;
  let releaseChaos: () => void = () => undefined;
  const allWarm = new Promise<void>((res) => {
    releaseChaos = res;
  });
  const warm = new Set<string>();
  const tallies = opts.clients.map((c) => ({ name: c.name, ops: [] as Op[] }));

  const loops = opts.clients.map(async (c, n) => {
    const tally = tallies[n] as Tally;
    let afterChaos = 0;
    for (let i = 0; afterChaos < after && tally.ops.length < maxOps; i++) {
      const ref = `${c.repo}:${i}`;
      const ended = chaosDone;
      const pushed = await timed(`push ${ref}`, () => c.client.push(c.image, ref));
      tally.ops.push(pushed.op);
      const pulled = await timed(`pull ${ref}`, () => c.client.pull(ref));
      if (pulled.op.ok && pulled.digest !== pushed.digest) Object.assign(pulled.op, { ok: false, output: `pulled ${pulled.digest}, pushed ${pushed.digest}` });
      tally.ops.push(pulled.op);
      if (ended) afterChaos += 2;
      if (tally.ops.length >= before) warm.add(c.name);
      if (warm.size === opts.clients.length) releaseChaos();
    }
    // A loop that stopped early (maxOps) must not leave chaos waiting.
    warm.add(c.name);
    if (warm.size === opts.clients.length) releaseChaos();
  });

  const hammer = { sent: 0, failed: [] as string[] };
  const hammers = [0, 1].map(async () => {
    await allWarm;
    while (!chaosDone) {
      hammer.sent++;
      try {
        const res = await opts.tokenRequest();
        const body = await res.text();
        if (res.status !== 200) hammer.failed.push(`${res.status} ${body.slice(0, 200)}`);
      } catch (err) {
        hammer.failed.push((err as Error).message);
      }
      await sleep(10);
    }
  });

  let chaosError: unknown;
  await allWarm;
  await opts.chaos().catch((err: unknown) => {
    chaosError = err;
  });
  chaosDone = true;
  await Promise.all([...loops, ...hammers]);
  if (chaosError) throw chaosError;
  return { clients: tallies, hammer };
}

async function timed<R extends { code: number | null; stdout: string; stderr: string; digest?: string }>(
  what: string,
  fn: () => Promise<R>,
): Promise<{ op: Op; digest?: string }> {
  const startedAt = Date.now();
  const res = await fn();
  const ok = res.code === 0;
  return { op: { what, ok, startedAt, endedAt: Date.now(), ...(ok ? {} : { output: `${res.stdout}\n${res.stderr}`.trim() }) }, digest: res.digest };
}
