import type { BenchFigures, GoalResult } from './figures.js';
import { median } from './stats.js';

type Measured = Omit<BenchFigures, 'goals' | 'finishedAt'>;

interface Goal {
  goal: string;
  unit: string;
  comparison: '>=' | '<';
  threshold: number;
  value: (f: Measured) => number;
}

/** Audit on vs off, taken within each round (the two were measured back to back), as the ratios to the ceiling are. */
export function auditOnVsOff(f: Pick<Measured, 'targets'>): number {
  const off = f.targets.auditoff.rounds;
  return median(f.targets.embedded.rounds.map((r, i) => r.tokensPerSec / (off[i]?.tokensPerSec ?? Number.NaN)));
}

/** Issue 7's goals; the bench reports them, it does not enforce them. */
const GOALS: Goal[] = [
  { goal: 'embedded cache hits vs ceiling', unit: 'x', comparison: '>=', threshold: 0.8, value: (f) => f.targets.embedded.ratioToCeiling },
  { goal: 'postgres cache hits vs ceiling', unit: 'x', comparison: '>=', threshold: 0.8, value: (f) => f.targets.postgres.ratioToCeiling },
  {
    goal: 'robot logins vs cached password logins',
    unit: 'x',
    comparison: '>=',
    threshold: 0.9,
    value: (f) => f.targets.robot.tokensPerSec / f.targets.embedded.tokensPerSec,
  },
  {
    goal: 'cache hits, audit on vs off',
    unit: 'x',
    comparison: '>=',
    threshold: 0.95,
    value: (f) => auditOnVsOff(f),
  },
  { goal: 'cache hits under storm vs unloaded', unit: 'x', comparison: '>=', threshold: 0.5, value: (f) => f.storm.ratioToUnloaded },
  { goal: 'cache-hit p99 under storm', unit: 'ms', comparison: '<', threshold: 25, value: (f) => f.storm.hits.p99Ms },
  { goal: 'LDAP login p99 (cache miss, warm pool)', unit: 'ms', comparison: '<', threshold: 50, value: (f) => f.ldap.p99Ms },
  { goal: 'embedded RSS after load', unit: 'MB', comparison: '<', threshold: 200, value: (f) => f.memory.rssMb },
  { goal: 'first start (embedded)', unit: 'ms', comparison: '<', threshold: 3000, value: (f) => f.start.firstStartMs },
  { goal: 'restart (embedded)', unit: 'ms', comparison: '<', threshold: 1000, value: (f) => f.start.restartMs },
  { goal: 'start on PostgreSQL', unit: 'ms', comparison: '<', threshold: 1000, value: (f) => f.start.postgresStartMs },
];

export function evaluateGoals(figures: Measured): GoalResult[] {
  return GOALS.map(({ value, ...goal }) => {
    const v = value(figures);
    // NaN (nothing measured) compares false either way: a goal without a figure is not met.
    const met = goal.comparison === '>=' ? v >= goal.threshold : v < goal.threshold;
    return { ...goal, value: v, met };
  });
}
