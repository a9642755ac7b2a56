/**
 * `npm run bench`: token throughput of Portcullis on both stores against a ceiling server, then
 * a password storm, memory after load and start times; a table on stdout, the figures as JSON
 * under .tmp/. See options.ts for the flags; progress goes to stderr.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { startPostgres } from '../../test/harness/postgres.js';
import { tempDir } from '../../test/harness/proc.js';
import { startCeiling } from './ceiling-process.js';
import { Cleanup } from './cleanup.js';
import type { BenchFigures } from './figures.js';
import { evaluateGoals } from './goals.js';
import { measureMemory } from './memory.js';
import { parseOptions, type BenchOptions } from './options.js';
import { assertBuilt, generateKeys, startPortcullis } from './portcullis-process.js';
import { findProblems } from './problems.js';
import { formatReport, writeFigures } from './report.js';
import { ALICE, seed, seedRobot, warmUp } from './seed.js';
import { measureStarts } from './starts.js';
import { measureLdap } from './ldap.js';
import { measureStorm } from './storm.js';
import type { Target } from './target.js';
import { measureThroughput } from './throughput.js';

const REPO = resolve(import.meta.dirname, '../..');

const progress = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

async function bench(opts: BenchOptions, cleanup: Cleanup): Promise<BenchFigures> {
  const startedAt = new Date().toISOString();
  const loadAverage1m = loadavg()[0] ?? Number.NaN;
  await assertBuilt();
  const root = await tempDir('bench');
  cleanup.add('temp dir', root.remove);
  const keysDir = join(root.path, 'keys');
  await generateKeys(keysDir);

  progress('starting the ceiling, PostgreSQL and Portcullis on each store');
  const ceiling = await startCeiling({ keysDir, service: 'registry', ...ALICE, signer: opts.ceilingSigner }, cleanup);
  const postgres = await startPostgres();
  cleanup.add('PostgreSQL', () => postgres.destroy());
  const onEmbedded = await startPortcullis({ dir: join(root.path, 'embedded'), keysDir }, cleanup);
  cleanup.add('portcullis (embedded)', () => onEmbedded.daemon.stop());
  const onPostgres = await startPortcullis({ dir: join(root.path, 'postgres'), keysDir, databaseUrl: await postgres.createDatabase() }, cleanup);
  cleanup.add('portcullis (postgres)', () => onPostgres.daemon.stop());
  // Issue 10: the audit trail (on by default) may cost at most 5%; the same store with it off, in the same rounds.
  const onAuditOff = await startPortcullis({ dir: join(root.path, 'audit-off'), keysDir, configYaml: 'audit:\n  enabled: false\n' }, cleanup);
  cleanup.add('portcullis (audit off)', () => onAuditOff.daemon.stop());
  const embedded: Target = { name: 'embedded', url: onEmbedded.url, pid: onEmbedded.pid };
  await seed(onEmbedded.url);
  await seed(onPostgres.url);
  await seed(onAuditOff.url);
  // Robot logins on the embedded store: issue 9 wants them within 10% of cached passwords.
  const robot: Target = { name: 'robot', url: onEmbedded.url, pid: onEmbedded.pid, authorization: await seedRobot(onEmbedded.url) };
  const auditOff: Target = { name: 'auditoff', url: onAuditOff.url, pid: onAuditOff.pid };
  // Audit off right beside audit on: the pair the audit goal compares is measured back to back.
  const targets: Target[] = [ceiling, embedded, auditOff, { name: 'postgres', url: onPostgres.url, pid: onPostgres.pid }, robot];
  for (const t of targets) await warmUp(t.url, t.authorization);

  progress(`cache hits: ${opts.rounds} interleaved round(s) of ${opts.seconds} s per target`);
  const throughput = await measureThroughput(targets, opts, progress);
  progress(`storm: ${opts.stormSeconds} s`);
  // The throttle would answer a storm from one address with cheap 429s after five failures; the
  // storm measures the hard case, every wrong password reaching the bcrypt queue.
  const onStorm = await startPortcullis({ dir: join(root.path, 'storm'), keysDir, configYaml: 'throttle:\n  enabled: false\n' }, cleanup);
  cleanup.add('portcullis (storm)', () => onStorm.daemon.stop());
  await seed(onStorm.url);
  await warmUp(onStorm.url);
  const storm = await measureStorm(
    { name: 'embedded', url: onStorm.url, pid: onStorm.pid },
    { seconds: opts.stormSeconds, hitConnections: opts.connections, stormConnections: opts.stormConnections },
    throughput.embedded.tokensPerSec,
  );
  await onStorm.daemon.stop();
  progress(`ldap: ${opts.stormSeconds} s of cache-miss directory logins`);
  const ldap = await measureLdap(join(root.path, 'ldap'), keysDir, opts.stormSeconds, 4, cleanup);
  progress(`memory: ${opts.rssSeconds} s of cache hits on the embedded store`);
  const { memory, load: memoryLoad } = await measureMemory(embedded, opts.connections, opts.rssSeconds);
  // The start timings get the CPU to themselves.
  for (const p of [onEmbedded, onPostgres, onAuditOff]) await p.daemon.stop();

  progress(`start times: ${opts.startSamples} sample(s)`);
  const start = await measureStarts(root.path, opts.startSamples, postgres, cleanup, progress);

  const measured: Omit<BenchFigures, 'goals' | 'finishedAt'> = {
    version: 1,
    startedAt,
    mode: opts.quick ? 'quick' : 'full',
    settings: {
      rounds: opts.rounds,
      secondsPerRound: opts.seconds,
      connections: opts.connections,
      stormSeconds: opts.stormSeconds,
      stormConnections: opts.stormConnections,
      rssLoadSeconds: opts.rssSeconds,
      startSamples: opts.startSamples,
      ceilingSigner: opts.ceilingSigner,
    },
    machine: { cpus: availableParallelism(), node: process.version, loadAverage1m, loadAverage1mAtEnd: loadavg()[0] ?? Number.NaN },
    targets: throughput,
    storm,
    ldap,
    memory,
    start,
    problems: findProblems(throughput, storm, memoryLoad, ldap),
  };
  return { ...measured, goals: evaluateGoals(measured), finishedAt: new Date().toISOString() };
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2), process.env, REPO);
  const cleanup = new Cleanup();
  cleanup.onSignals();
  try {
    const figures = await bench(opts, cleanup);
    process.stdout.write(formatReport(figures));
    const file = await writeFigures(opts.outDir, figures);
    process.stdout.write(`\nfigures: ${file} (and ${join(opts.outDir, 'bench-latest.json')})\n`);
    return figures.problems.length > 0 ? 1 : 0;
  } finally {
    await cleanup.run();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
