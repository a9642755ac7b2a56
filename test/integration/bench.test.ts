/**
 * `npm run bench -- --quick` runs end to end: every target served tokens, and the bench printed
 * and wrote its figures. Speed is the bench's business, not this test's: nothing here is timed.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir, type RunResult } from '../harness/proc.js';

const REPO = resolve(import.meta.dirname, '../..');
const VITE_NODE = join(REPO, 'node_modules/vite-node/vite-node.mjs');

describe('the token benchmark, in quick mode', () => {
  let out: Awaited<ReturnType<typeof tempDir>>;
  let res: RunResult;

  beforeAll(async () => {
    out = await tempDir('bench-out');
    // vite-node straight rather than `npm run bench`, whose build would rewrite the dist/ other
    // tests are running; npm test has built it. --out keeps .tmp/bench-latest.json a real run's.
    res = await run(process.execPath, [VITE_NODE, 'scripts/bench/main.ts', '--quick', '--out', out.path], { cwd: REPO, timeoutMs: 120_000 });
  }, 130_000);
  afterAll(async () => {
    await out?.remove();
  });

  it('exits 0', () => {
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  });

  it('prints tokens/s, p50, p99 and the ratio to the ceiling for each target', () => {
    for (const target of ['ceiling', 'embedded', 'auditoff', 'postgres', 'robot']) {
      expect(res.stdout).toMatch(new RegExp(`^${target} +\\d+ +[\\d.]+ +[\\d.]+ +[\\d.]+x`, 'm'));
    }
  });

  it('prints the audit on vs off comparison', () => {
    expect(res.stdout).toMatch(/^audit on vs off \(embedded, back to back in each round\): \d+ vs \d+ tokens\/s; per round [\d. ]+, median [\d.]+x$/m);
  });

  it('prints the storm, the LDAP logins, the RSS and the start times', () => {
    expect(res.stdout).toMatch(/^ {2}cache hits +\d+ tokens\/s, p50 [\d.]+ ms, p99 [\d.]+ ms, [\d.]+x unloaded$/m);
    expect(res.stdout).toMatch(/^ {2}wrong passwords \d+ answered: 401: \d+, 503: \d+/m);
    expect(res.stdout).toMatch(/^ {2}\d+ logins\/s, p50 [\d.]+ ms, p99 [\d.]+ ms$/m);
    expect(res.stdout).toMatch(/^ {2}RSS [\d.]+ MB/m);
    for (const start of ['first start', 'restart', 'start on PostgreSQL']) expect(res.stdout).toMatch(new RegExp(`^ {2}${start} .* \\d+ ms$`, 'm'));
    expect(res.stdout).toMatch(/^ {2}(PASS|MISS) {2}/m);
  });

  it('writes the figures as JSON', async () => {
    const figures = JSON.parse(await readFile(join(out.path, 'bench-latest.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.keys(figures.targets ?? {})).toEqual(['ceiling', 'embedded', 'auditoff', 'postgres', 'robot']);
    expect(figures.targets?.embedded).toHaveProperty('ratioToCeiling');
    expect(figures.storm).toHaveProperty('ratioToUnloaded');
    expect(figures.memory).toHaveProperty('rssMb');
    expect(figures.start).toHaveProperty('restartMs');
    expect(figures.ldap).toHaveProperty('p99Ms');
    expect(figures.goals).toHaveLength(11);
    expect(figures.problems).toEqual([]);
  });
});
