import type { LoadFigures, TargetFigures, TargetName } from './figures.js';
import { runLoad, type LoadResult } from './load.js';
import { ALICE, basic, TOKEN_PATH } from './seed.js';
import { median } from './stats.js';
import type { Target } from './target.js';

export interface ThroughputSettings {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
}

export type Progress = (line: string) => void;

export const hitLoad = (target: Target, connections: number, seconds: number): Promise<LoadResult> =>
  runLoad({ url: target.url + TOKEN_PATH, authorization: target.authorization ?? basic(ALICE.username, ALICE.password), connections, seconds });

export const loadFigures = (r: LoadResult): LoadFigures => ({ tokensPerSec: r.tokensPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms });

/**
 * Cache hits on every target, one after the other within a round, round after round: a slow
 * patch of this noisy machine then hits all targets alike instead of one. Every other round runs
 * the targets in reverse, so that no target is always measured first after a pause or last after
 * the others. The ratio to the ceiling is taken within each round, where the two figures were
 * measured seconds apart.
 */
export async function measureThroughput(targets: Target[], s: ThroughputSettings, progress: Progress): Promise<Record<TargetName, TargetFigures>> {
  for (const t of targets) await hitLoad(t, s.connections, s.warmupSeconds);
  const results = new Map<TargetName, LoadResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of round % 2 === 1 ? targets : [...targets].reverse()) {
      const r = await hitLoad(t, s.connections, s.seconds);
      results.get(t.name)?.push(r);
      progress(
        `round ${round}/${s.rounds} ${t.name.padEnd(8)} ${r.tokensPerSec.toFixed(0).padStart(6)} tokens/s  p99 ${r.p99Ms.toFixed(1)} ms${r.non200 + r.errors > 0 ? `  ${r.non200} non-200, ${r.errors} errors` : ''}`,
      );
    }
  }
  const ceiling = results.get('ceiling') ?? [];
  const figures = {} as Record<TargetName, TargetFigures>;
  for (const [name, rounds] of results) {
    figures[name] = {
      tokensPerSec: median(rounds.map((r) => r.tokensPerSec)),
      p50Ms: median(rounds.map((r) => r.p50Ms)),
      p99Ms: median(rounds.map((r) => r.p99Ms)),
      ratioToCeiling: median(rounds.map((r, i) => r.tokensPerSec / (ceiling[i]?.tokensPerSec ?? Number.NaN))),
      rounds: rounds.map((r) => ({ ...loadFigures(r), non200: r.non200, errors: r.errors })),
    };
  }
  return figures;
}
