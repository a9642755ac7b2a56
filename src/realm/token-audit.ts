import type { AuditSink, AuthMethod, DeniedAction, NewAuditEntry, ReasonCode, TokenOutcome } from '../domain/audit.js';
import { InvalidGrantError, isPortcullisError, ThrottledError, UnauthorizedError } from '../domain/errors.js';
import type { Identity, ResourceScope } from '../domain/model.js';
import type { ActionDecision } from '../auth/permissions.js';
import { projectOf } from '../auth/permissions.js';
import { formatScope } from '../token/scope.js';

/** What one token request learnt on its way, gathered for its audit entry. */
export interface TokenTrace {
  at: Date;
  method: AuthMethod;
  subject: string | null;
  /** Why the login was refused, when it was. */
  refused?: ReasonCode;
  actions?: ActionDecision[];
  granted?: ResourceScope[];
  jti?: string;
}

export interface TraceRequest {
  scopes: readonly ResourceScope[];
  address: string;
  clientId: string;
  userAgent?: string | undefined;
}

/** How an identity proved itself; a refused password login stays `password`. */
export function methodOf(identity: Identity): AuthMethod {
  if (identity.robot) return 'robot';
  if (identity.accessToken) return 'pat';
  return identity.source === 'ldap' ? 'ldap' : 'password';
}

function failureOf(err: unknown, trace: TokenTrace): { outcome: TokenOutcome; reason: ReasonCode } {
  if (err instanceof ThrottledError) return { outcome: 'throttled', reason: 'throttled' };
  if (err instanceof InvalidGrantError) return { outcome: 'unauthorized', reason: err.reason };
  if (err instanceof UnauthorizedError) return { outcome: 'unauthorized', reason: trace.refused ?? 'bad_password' };
  if (isPortcullisError(err)) {
    const reason =
      err.code === 'BACKEND_UNAVAILABLE' || err.code === 'OVERLOADED' ? 'backend_unavailable' : err.code === 'INTERNAL' ? 'error' : 'invalid_request';
    return { outcome: 'error', reason };
  }
  return { outcome: 'error', reason: 'error' };
}

/**
 * The audit entry of a token request, issued or not (`err` set). Built from what the request
 * already holds: no lookups, nothing awaited.
 */
export function tokenEntry(req: TraceRequest, trace: TokenTrace, err?: unknown): NewAuditEntry {
  const repositories: string[] = [];
  for (const s of req.scopes) if (s.type === 'repository' && !repositories.includes(s.name)) repositories.push(s.name);
  const projects = [...new Set(repositories.map(projectOf))];
  let outcome: TokenOutcome;
  let denied: DeniedAction[];
  let reason: ReasonCode | undefined;
  if (err === undefined) {
    const actions = trace.actions ?? [];
    denied = actions.filter((a) => !a.granted).map((a) => ({ resource: `${a.type}:${a.name}`, action: a.action, reason: a.rule as ReasonCode }));
    outcome = denied.length === 0 ? 'granted' : denied.length === actions.length ? 'denied' : 'partial';
  } else {
    const failure = failureOf(err, trace);
    outcome = failure.outcome;
    denied = req.scopes.flatMap((s) => s.actions.map((action) => ({ resource: `${s.type}:${s.name}`, action, reason: failure.reason })));
    reason = failure.reason;
  }
  return {
    kind: 'token',
    at: trace.at,
    subject: trace.subject,
    address: req.address || null,
    projects,
    repositories,
    outcome,
    detail: {
      method: trace.method,
      ...(req.clientId ? { clientId: req.clientId } : {}),
      ...(req.userAgent ? { userAgent: req.userAgent } : {}),
      requested: req.scopes.map(formatScope),
      granted: (trace.granted ?? []).map(formatScope),
      denied,
      ...(reason ? { reason } : {}),
      ...(trace.jti ? { jti: trace.jti } : {}),
    },
  };
}

const sameStrings = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const sameScopes = (a: readonly ResourceScope[], b: readonly ResourceScope[]) =>
  a.length === b.length &&
  a.every((x, i) => {
    const y = b[i] as ResourceScope;
    return x.type === y.type && x.name === y.name && sameStrings(x.actions, y.actions);
  });

const sameActions = (a: readonly ActionDecision[], b: readonly ActionDecision[]) =>
  a.length === b.length &&
  a.every((x, i) => {
    const y = b[i] as ActionDecision;
    return x.type === y.type && x.name === y.name && x.action === y.action && x.granted === y.granted && x.rule === y.rule;
  });

/**
 * Whether two issued tokens' requests have the same audit entry but for its time and jti: every
 * field tokenEntry reads is compared (a property test holds the two together).
 */
export function sameAudit(a: TraceRequest, at: TokenTrace, b: TraceRequest, bt: TokenTrace): boolean {
  return (
    a.address === b.address &&
    a.clientId === b.clientId &&
    a.userAgent === b.userAgent &&
    at.method === bt.method &&
    at.subject === bt.subject &&
    at.jti !== undefined &&
    bt.jti !== undefined &&
    sameScopes(a.scopes, b.scopes) &&
    sameActions(at.actions ?? [], bt.actions ?? []) &&
    sameScopes(at.granted ?? [], bt.granted ?? [])
  );
}

/**
 * Hands the realm's token requests to the audit. A token issued for the same request as the one
 * recorded just before (a client pulling layer after layer, a CI fleet) is recorded as a repeat
 * of it, without building its entry: on the hot path that is a few comparisons instead of an
 * entry's worth of objects to build and encode.
 */
export class TokenAuditRecorder {
  #last: { req: TraceRequest; trace: TokenTrace; seq: number } | undefined;

  constructor(private readonly sink: AuditSink) {}

  record(req: TraceRequest, trace: TokenTrace, err?: unknown): void {
    const last = this.#last;
    if (err === undefined && last && this.sink.repeat && trace.jti && sameAudit(last.req, last.trace, req, trace)) {
      const seq = this.sink.repeat(last.seq, trace.at, [trace.jti]);
      if (seq > 0) {
        last.seq = seq;
        return;
      }
    }
    const seq = this.sink.record(tokenEntry(req, trace, err));
    this.#last = err === undefined && seq > 0 ? { req, trace, seq } : undefined;
  }
}
