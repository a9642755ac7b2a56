/**
 * A refusal is asserted by its reason, not by a non-zero exit alone: a registry that let the
 * request through exits 0, and a client that failed for another reason (a network error, a
 * missing manifest) prints neither text below.
 */
import { expect } from 'vitest';
import { pollUntil, type RunResult } from '../../harness/proc.js';
import type { Portcullis } from './portcullis.js';

export type Refusal = 'auth' | 'denied';

/** What each real client prints for a refusal; they all word it differently. */
const PRINTED: Record<Refusal, RegExp> = {
  // The realm's 401. skopeo and podman (containers/image) say "invalid username/password" and
  // pass on the realm's message, "invalid username or password", as docker does; ctr only names
  // the status of its token request.
  auth: /invalid username(?:\/| or )password|failed to fetch oauth token: unexpected status: 401/i,
  // A token without the action asked for. The registry answers "denied: requested access to the
  // resource is denied" (skopeo, podman, docker print it); ctr prints its insufficient_scope challenge.
  denied: /requested access to the resource is denied|insufficient_scope: authorization failed/i,
};

/** Asserts that a client command failed, and for `reason`. */
export function expectRefused(result: RunResult, reason: Refusal): void {
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.code, `expected a refusal (${reason}), but the client succeeded:\n${output}`).not.toBe(0);
  expect(output, `expected a refusal (${reason}); the client printed:\n${output}`).toMatch(PRINTED[reason]);
}

/** How many realm (`/token`) requests Portcullis has answered with `status`, from its JSON request log. */
export function realmAnswers(log: string, status: number): number {
  // Request ids restart with each process, so they are keyed by pid too.
  const realm = new Set<string>();
  let n = 0;
  for (const line of log.split('\n')) {
    let entry: { pid?: number; reqId?: string; req?: { url?: string }; res?: { statusCode?: number } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const id = `${entry.pid}/${entry.reqId}`;
    if (entry.req?.url?.startsWith('/token')) realm.add(id);
    else if (entry.res?.statusCode === status && realm.has(id)) n++;
  }
  return n;
}

/**
 * Waits for Portcullis's log to show more realm answers with `status` than `before`: proof that a
 * refusal came from Portcullis. The log arrives through a pipe, a moment after the client exits.
 */
export async function expectRealmAnswered(portcullis: Pick<Portcullis, 'logs'>, status: number, before: number): Promise<void> {
  await pollUntil(async () => realmAnswers(portcullis.logs(), status) > before, undefined, `Portcullis logging a ${status} from /token`, 5_000).catch(
    (err: Error) => {
      throw new Error(`${err.message}\n${portcullis.logs().slice(-3000)}`);
    },
  );
}
