import type { AuthMethod, DeniedAction, NewAuditEntry, ReasonCode, TokenOutcome } from '../domain/audit.js';
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
