import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export type CeilingSigner = 'jose' | 'node';

export interface BenchOptions {
  quick: boolean;
  /** Interleaved rounds of ceiling, embedded, postgres. */
  rounds: number;
  /** Length of one measured load, per target and round. */
  seconds: number;
  /** Unmeasured load per target before the first round, so every target is JIT-warm. */
  warmupSeconds: number;
  /** Cache-hit connections, in the rounds and alongside the storm. */
  connections: number;
  stormSeconds: number;
  stormConnections: number;
  /** Cache-hit load on the embedded store before its RSS is read. */
  rssSeconds: number;
  /** Start-time samples of each kind; the median is reported. */
  startSamples: number;
  /** jose, as the issue asks; node: node:crypto's synchronous sign. */
  ceilingSigner: CeilingSigner;
  /** Where the JSON figures go. */
  outDir: string;
}

const FULL = { rounds: 3, seconds: 5, warmupSeconds: 2, stormSeconds: 10, rssSeconds: 60, startSamples: 3 };
const QUICK = { rounds: 1, seconds: 1, warmupSeconds: 0.5, stormSeconds: 2, rssSeconds: 3, startSamples: 1 };

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--seconds S] [--connections N] [--storm-seconds S]
       [--rss-seconds S] [--start-samples N] [--ceiling-signer jose|node] [--out DIR]
--quick (or BENCH_QUICK=1): 1 round of 1 s, a short storm and RSS load; for the test.`;

function positive(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new TypeError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, not "${raw}"\n${USAGE}`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, repoRoot: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'storm-seconds': { type: 'string' },
      'rss-seconds': { type: 'string' },
      'start-samples': { type: 'string' },
      'ceiling-signer': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const base = quick ? QUICK : FULL;
  const signer = values['ceiling-signer'] ?? 'jose';
  if (signer !== 'jose' && signer !== 'node') throw new TypeError(`--ceiling-signer must be jose or node, not "${signer}"\n${USAGE}`);
  return {
    quick,
    rounds: positive('rounds', values.rounds, base.rounds, true),
    seconds: positive('seconds', values.seconds, base.seconds),
    warmupSeconds: base.warmupSeconds,
    connections: positive('connections', values.connections, 16, true),
    stormSeconds: positive('storm-seconds', values['storm-seconds'], base.stormSeconds),
    stormConnections: 8,
    rssSeconds: positive('rss-seconds', values['rss-seconds'], base.rssSeconds),
    startSamples: positive('start-samples', values['start-samples'], base.startSamples, true),
    ceilingSigner: signer,
    outDir: resolve(values.out ?? resolve(repoRoot, '.tmp')),
  };
}
