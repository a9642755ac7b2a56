/** The shape of .tmp/bench-*.json; `version` changes when a field changes meaning. */
export interface BenchFigures {
  version: 1;
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  settings: {
    rounds: number;
    secondsPerRound: number;
    connections: number;
    stormSeconds: number;
    stormConnections: number;
    rssLoadSeconds: number;
    startSamples: number;
    ceilingSigner: string;
  };
  /** 1-minute load averages: how busy the machine was besides the bench. */
  machine: { cpus: number; node: string; loadAverage1m: number; loadAverage1mAtEnd: number };
  targets: Record<TargetName, TargetFigures>;
  storm: StormFigures;
  ldap: LdapFigures;
  memory: MemoryFigures;
  start: StartFigures;
  goals: GoalResult[];
  /** Non-200 answers and failed requests where only 200s belong; empty in a clean run. */
  problems: string[];
}

/** Directory logins with the credential cache off (every request binds). */
export interface LdapFigures {
  connections: number;
  seconds: number;
  loginsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non200: number;
  errors: number;
}

/** auditoff: the embedded store with the audit trail off, beside embedded (on, the default). */
export type TargetName = 'ceiling' | 'embedded' | 'postgres' | 'robot' | 'auditoff';

export interface LoadFigures {
  tokensPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TargetFigures extends LoadFigures {
  /** Median over rounds of (this target's tokens/s / the ceiling's in the same round). */
  ratioToCeiling: number;
  rounds: (LoadFigures & { non200: number; errors: number })[];
}

export interface StormFigures {
  seconds: number;
  hitConnections: number;
  stormConnections: number;
  /** The cache hits while the storm runs. */
  hits: LoadFigures & { non200: number; errors: number };
  /** hits.tokensPerSec over the embedded store's unloaded median. */
  ratioToUnloaded: number;
  /** What the wrong passwords got back. */
  wrongPasswords: { total: number; status401: number; status503: number; other: Record<string, number>; errors: number };
}

export interface MemoryFigures {
  loadSeconds: number;
  rssMb: number;
  /** VmHWM: the most the process ever held, its start included. */
  peakRssMb: number;
}

export interface StartFigures {
  /** Medians, spawn to the first 200 on /readyz. */
  firstStartMs: number;
  restartMs: number;
  postgresStartMs: number;
  samples: { firstStartMs: number[]; restartMs: number[]; postgresStartMs: number[] };
}

export interface GoalResult {
  goal: string;
  value: number;
  unit: string;
  comparison: '>=' | '<';
  threshold: number;
  met: boolean;
}
