import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditSink } from '../../domain/audit.js';
import { ROBOT_PREFIX } from '../../domain/model.js';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Fields whose value never reaches the audit: it shows that they were set, not what to. */
const SECRET_FIELD = /password|secret|token/i;

function withoutSecrets(value: unknown, key = ''): unknown {
  if (SECRET_FIELD.test(key)) return '***';
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v, k)]));
  return value;
}

/** The project a change concerns: the project in the path, a project robot's, or the body's. */
function projectsOf(url: string, params: Record<string, string>, body: unknown): string[] {
  if (url.includes('/projects/:name') && params.name) return [params.name];
  const created = (body as { name?: unknown } | undefined)?.name;
  if (url.endsWith('/projects') && typeof created === 'string') return [created];
  const robot = params.name?.startsWith(ROBOT_PREFIX) ? params.name.slice(ROBOT_PREFIX.length) : undefined;
  if (robot?.includes('+')) return [robot.slice(0, robot.indexOf('+'))];
  const project = (body as { project?: unknown } | undefined)?.project;
  return typeof project === 'string' ? [project] : [];
}

/**
 * An onSend hook for /api/v1: every change an authenticated caller asked for (the CLI's
 * included, since it talks to this API) becomes an audit entry with its result, recorded before
 * the answer leaves, so a caller who reads the audit next finds it. A request refused at the
 * door (no or wrong credentials) is a failed login, not a change: the log has it.
 */
export function recordChanges(audit: AuditSink) {
  return async <P>(request: FastifyRequest, reply: FastifyReply, payload: P): Promise<P> => {
    const caller = request.caller;
    if (!caller || !CHANGES.has(request.method)) return payload;
    const url = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
    const params = (request.params ?? {}) as Record<string, string>;
    audit.record({
      kind: 'change',
      at: new Date(Date.now() - reply.elapsedTime),
      subject: caller.username,
      address: request.ip,
      projects: projectsOf(url, params, request.body),
      repositories: [],
      outcome: reply.statusCode < 400 ? 'ok' : 'error',
      detail: {
        action: `${request.method} ${url.replace(/^\/api\/v1/, '')}`,
        target: params,
        fields: (withoutSecrets(request.body ?? {}) ?? {}) as Record<string, unknown>,
        status: reply.statusCode,
      },
    });
    return payload;
  };
}
