import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AUDIT_KINDS, AUDIT_OUTCOMES, type AuditEntry, type AuditReader } from '../../domain/audit.js';
import { InvalidRequestError } from '../../domain/errors.js';
import { callerOf } from './guard.js';
import * as S from './schemas.js';

const literals = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

const AuditQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'entries at or after this time' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'entries before this time' })),
    subject: Type.Optional(Type.String({ maxLength: 255, description: 'the account: token subject, admin who made a change, registry actor' })),
    repository: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    outcome: Type.Optional(
      literals(AUDIT_OUTCOMES, 'token: granted, partial, denied, unauthorized, throttled, error; change: ok, error; registry: push, pull, delete, mount'),
    ),
    kind: Type.Optional(literals(AUDIT_KINDS, 'token requests, admin changes, or registry events')),
    order: Type.Optional(literals(['desc', 'asc'], 'newest first (default), or oldest first; a cursor keeps the order it was made for')),
    limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: 'entries per page, 1 to 500; default 100' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next or follow of an earlier page' })),
  },
  { additionalProperties: false },
);

const AuditEntryView = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  kind: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()], { description: 'null: anonymous' }),
  outcome: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  projects: Type.Array(Type.String()),
  repositories: Type.Array(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'token: method, requested, granted, denied [{resource, action, reason}], reason, jti, clientId, userAgent; change: action, target, fields (secrets as ***), status; registry: tag, digest, mediaType, source, eventId, from',
  }),
});

const AuditPage = Type.Object({
  entries: Type.Array(AuditEntryView),
  next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page; null: no more' }),
  follow: Type.String({ description: 'a cursor for entries written after the newest of this page, oldest first (audit ls --follow)' }),
});

type Order = 'asc' | 'desc';

/** Opaque to clients: the order and the last id seen. */
function cursor(order: Order, id: string): string {
  return Buffer.from(JSON.stringify({ o: order, i: id })).toString('base64url');
}

function readCursor(raw: string): { order: Order; afterId: string } {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as { o?: unknown; i?: unknown };
    if ((c.o === 'asc' || c.o === 'desc') && typeof c.i === 'string' && /^\d{1,19}$/.test(c.i)) return { order: c.o, afterId: c.i };
  } catch {
    // reported below
  }
  throw new InvalidRequestError('cursor is not one this service handed out');
}

const view = (e: AuditEntry) => ({ ...e, at: e.at.toISOString(), detail: e.detail as unknown as Record<string, unknown> });

/** The audit trail: system admins read all of it, project admins the entries of their projects. */
export default async function auditRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { audit } = app.services;

  app.get(
    '/audit',
    {
      config: { access: 'user' },
      schema: {
        summary: 'Read the audit trail',
        description:
          'Token requests (with the reason for every action not granted), changes made through this API, and registry events (POST /events). System admins see every entry; a project admin (role admin) sees the entries of their projects; anyone else sees none.',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: S.described(AuditPage, 'a page of entries'), ...S.errors([...S.AS_USER, 400]) },
      },
    },
    async (req) => {
      const q = req.query;
      const caller = callerOf(req);
      const reader: AuditReader = caller.admin ? { all: true } : { all: false, userId: caller.userId, groups: caller.groups };
      const at = q.cursor ? readCursor(q.cursor) : { order: (q.order ?? 'desc') as Order, afterId: undefined };
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      // What this replica holds in memory goes first: a caller reads their own last change.
      await audit.flush();
      const entries = await audit.list(
        {
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          subject: q.subject,
          repository: q.repository,
          project: q.project,
          outcome: q.outcome as never,
          kind: q.kind as never,
        },
        reader,
        { order: at.order, afterId: at.afterId, limit },
      );
      const last = entries.at(-1)?.id;
      if (at.order === 'asc') {
        // Oldest first is how new entries are followed: always a cursor, even on an empty page.
        const after = cursor('asc', last ?? at.afterId ?? '0');
        return { entries: entries.map(view), next: after, follow: after };
      }
      return {
        entries: entries.map(view),
        next: last !== undefined && entries.length === limit ? cursor('desc', last) : null,
        // No entry matches yet: following from the start yields only what is written from now on.
        follow: cursor('asc', entries[0]?.id ?? at.afterId ?? '0'),
      };
    },
  );
}
