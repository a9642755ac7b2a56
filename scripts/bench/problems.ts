import type { StormFigures, TargetFigures, TargetName } from './figures.js';
import type { LoadResult } from './load.js';

/**
 * Every answer that should have been a token and was not: a non-200 or a failed request among
 * the cache hits, and from the storm anything but 401 (wrong password) or 503 (queue full).
 */
export function findProblems(
  targets: Record<TargetName, TargetFigures>,
  storm: StormFigures,
  memoryLoad: LoadResult,
  ldap?: { non200: number; errors: number },
): string[] {
  const problems: string[] = [];
  const check = (what: string, r: { non200: number; errors: number }) => {
    if (r.non200 > 0) problems.push(`${what}: ${r.non200} responses were not 200`);
    if (r.errors > 0) problems.push(`${what}: ${r.errors} requests failed (connection errors or timeouts)`);
  };
  for (const [name, t] of Object.entries(targets)) {
    for (const [i, r] of t.rounds.entries()) check(`${name} round ${i + 1}`, r);
  }
  check('cache hits under storm', storm.hits);
  check('memory load (embedded)', memoryLoad);
  if (ldap) check('ldap logins', ldap);
  for (const [status, count] of Object.entries(storm.wrongPasswords.other)) problems.push(`storm: ${count} wrong passwords answered ${status}, not 401 or 503`);
  if (storm.wrongPasswords.errors > 0) problems.push(`storm: ${storm.wrongPasswords.errors} wrong-password requests failed (connection errors or timeouts)`);
  return problems;
}
