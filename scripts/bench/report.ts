import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchFigures, GoalResult } from './figures.js';
import { auditOnVsOff } from './goals.js';

const num = (v: number, digits = 0, width = 8) => (Number.isFinite(v) ? v.toFixed(digits) : '-').padStart(width);

function goalLine(g: GoalResult): string {
  const value = g.unit === 'x' ? `${num(g.value, 2, 0)}x` : `${num(g.value, g.unit === 'ms' && g.value < 100 ? 1 : 0, 0)} ${g.unit}`;
  const threshold = g.unit === 'x' ? `${g.threshold}x` : `${g.threshold} ${g.unit}`;
  return `  ${g.met ? 'PASS' : 'MISS'}  ${g.goal.padEnd(36)} ${value.padStart(10)}   (goal ${g.comparison} ${threshold})`;
}

/** The human-readable summary; the JSON holds the same figures and every round. */
export function formatReport(f: BenchFigures): string {
  const s = f.settings;
  const out: string[] = [];
  out.push('');
  out.push(
    `Portcullis token benchmark (${f.mode}): ${s.rounds} round(s) of ${s.secondsPerRound} s, ${s.connections} connections, ceiling signs with ${s.ceilingSigner}`,
  );
  out.push(
    `machine: ${f.machine.cpus} CPUs, node ${f.machine.node}, load average ${f.machine.loadAverage1m.toFixed(2)} at the start, ${f.machine.loadAverage1mAtEnd.toFixed(2)} at the end`,
  );
  out.push('');
  out.push('cache hits    tokens/s    p50 ms    p99 ms   vs ceiling   tokens/s per round');
  for (const [name, t] of Object.entries(f.targets)) {
    const rounds = t.rounds.map((r) => r.tokensPerSec.toFixed(0)).join(' ');
    out.push(`${name.padEnd(10)}${num(t.tokensPerSec, 0, 12)}${num(t.p50Ms, 2, 10)}${num(t.p99Ms, 2, 10)}${num(t.ratioToCeiling, 2, 12)}x   ${rounds}`);
  }
  const on = f.targets.embedded;
  const off = f.targets.auditoff;
  const perRound = on.rounds.map((r, i) => (r.tokensPerSec / (off.rounds[i]?.tokensPerSec ?? Number.NaN)).toFixed(2)).join(' ');
  out.push(
    `audit on vs off (embedded, back to back in each round): ${num(on.tokensPerSec, 0, 0)} vs ${num(off.tokensPerSec, 0, 0)} tokens/s; per round ${perRound}, median ${num(auditOnVsOff(f), 2, 0)}x`,
  );
  const st = f.storm;
  const other =
    Object.entries(st.wrongPasswords.other)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '0';
  out.push('');
  out.push(`storm (embedded, throttle off: ${st.stormConnections} connections of wrong passwords beside ${st.hitConnections} of cache hits, ${st.seconds} s)`);
  out.push(
    `  cache hits      ${num(st.hits.tokensPerSec, 0, 0)} tokens/s, p50 ${num(st.hits.p50Ms, 2, 0)} ms, p99 ${num(st.hits.p99Ms, 2, 0)} ms, ${num(st.ratioToUnloaded, 2, 0)}x unloaded`,
  );
  out.push(
    `  wrong passwords ${st.wrongPasswords.total} answered: 401: ${st.wrongPasswords.status401}, 503: ${st.wrongPasswords.status503}, other: ${other}; connection errors: ${st.wrongPasswords.errors}`,
  );
  out.push('');
  out.push(`ldap (cache off: every request a directory login, warm pool, ${f.ldap.connections} connections, ${f.ldap.seconds} s)`);
  out.push(`  ${num(f.ldap.loginsPerSec, 0, 0)} logins/s, p50 ${num(f.ldap.p50Ms, 2, 0)} ms, p99 ${num(f.ldap.p99Ms, 2, 0)} ms`);
  out.push('');
  out.push(`memory (embedded, after ${f.memory.loadSeconds} s of cache hits)`);
  out.push(`  RSS ${f.memory.rssMb.toFixed(1)} MB (peak since the process started: ${f.memory.peakRssMb.toFixed(1)} MB)`);
  out.push('');
  const n = f.start.samples.firstStartMs.length;
  out.push(`start (spawn to the first 200 on /readyz, median of ${n})`);
  out.push(`  first start (embedded, fresh data dir)  ${num(f.start.firstStartMs, 0, 6)} ms`);
  out.push(`  restart (embedded, same data)           ${num(f.start.restartMs, 0, 6)} ms`);
  out.push(`  start on PostgreSQL (fresh database)    ${num(f.start.postgresStartMs, 0, 6)} ms`);
  out.push('');
  out.push(`goals (informative${f.mode === 'quick' ? '; quick mode: too short to judge' : ''})`);
  for (const g of f.goals) out.push(goalLine(g));
  if (f.problems.length > 0) {
    out.push('');
    out.push(`!!! ERRORS: ${f.problems.length} problem(s); the figures above are not trustworthy`);
    for (const p of f.problems) out.push(`!!!   ${p}`);
  }
  return `${out.join('\n')}\n`;
}

/** Writes bench-<timestamp>.json and bench-latest.json; returns the first path. */
export async function writeFigures(outDir: string, f: BenchFigures): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `bench-${f.startedAt.replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify(f, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(join(outDir, 'bench-latest.json'), json);
  return file;
}
