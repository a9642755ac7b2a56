import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { projectOf } from '../auth/permissions.js';
import { REGISTRY_ACTIONS, type NewAuditEntry, type RegistryAction } from '../domain/audit.js';
import { InvalidRequestError, UnauthorizedError } from '../domain/errors.js';

/** v1 from registry 2.x, v2 from 3.x; the envelope is the same for what is read here. */
const EVENTS_MEDIA_TYPE = /^application\/vnd\.docker\.distribution\.events\.v\d+\+json$/;
const MAX_EVENTS = 1_000;
const MAX_FIELD = 1_024;

const digestOf = (s: string) => createHash('sha256').update(s).digest();

interface RegistryEvent {
  id?: unknown;
  timestamp?: unknown;
  action?: unknown;
  target?: { repository?: unknown; tag?: unknown; digest?: unknown; mediaType?: unknown; fromRepository?: unknown };
  request?: { addr?: unknown };
  actor?: { name?: unknown };
  source?: { addr?: unknown };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, MAX_FIELD) : undefined);

/** `1.2.3.4:5678` or `[::1]:5678` -> the address alone; anything else as given. */
function hostOf(addr: string | undefined): string | null {
  if (!addr) return null;
  const m = /^\[([^\]]+)\]:\d+$/.exec(addr) ?? /^([^:]+):\d+$/.exec(addr);
  return m?.[1] ?? addr;
}

/** One notification as an audit entry; null for what is not a repository action of interest. */
export function registryEntry(event: RegistryEvent, now: Date): NewAuditEntry | null {
  const action = text(event.action);
  const repository = text(event.target?.repository);
  if (!action || !(REGISTRY_ACTIONS as readonly string[]).includes(action) || !repository) return null;
  const at = typeof event.timestamp === 'string' && !Number.isNaN(Date.parse(event.timestamp)) ? new Date(event.timestamp) : now;
  const detail = {
    tag: text(event.target?.tag),
    digest: text(event.target?.digest),
    mediaType: text(event.target?.mediaType),
    source: text(event.source?.addr),
    eventId: text(event.id),
    from: text(event.target?.fromRepository),
  };
  return {
    kind: 'registry',
    at,
    // The registry names the token's subject: the account Portcullis vouched for.
    subject: text(event.actor?.name) ?? null,
    address: hostOf(text(event.request?.addr)),
    projects: [projectOf(repository)],
    repositories: [repository],
    outcome: action as RegistryAction,
    detail: Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined)),
  };
}

/**
 * `POST /events`: the registry's notifications endpoint. Only a registry that sends
 * `Authorization: Bearer <audit.events.secret>` is heard; the secret is compared in constant
 * time. Each push, pull, delete and mount becomes an audit entry.
 */
export default async function registryEventRoutes(app: FastifyInstance): Promise<void> {
  const { config, audit } = app.services;
  const secret = config.audit.events.secret;
  const expected = secret === undefined ? undefined : digestOf(secret);
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(EVENTS_MEDIA_TYPE, { parseAs: 'string', bodyLimit: 1024 * 1024 }, jsonParser);

  const check = async (request: FastifyRequest): Promise<void> => {
    if (!expected) throw new UnauthorizedError('no audit.events.secret is configured: registry events are not accepted');
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    // Digests of equal length: the comparison takes as long whatever was sent.
    if (presented === undefined || !timingSafeEqual(digestOf(presented), expected)) throw new UnauthorizedError('wrong or missing events bearer secret');
  };

  app.post(
    '/events',
    {
      onRequest: check,
      bodyLimit: 1024 * 1024,
      schema: {
        body: Type.Object({ events: Type.Array(Type.Unknown(), { maxItems: MAX_EVENTS }) }),
        response: { 200: Type.Object({ recorded: Type.Integer() }) },
      },
    },
    async (request) => {
      const now = new Date();
      let recorded = 0;
      for (const event of (request.body as { events: unknown[] }).events) {
        if (typeof event !== 'object' || event === null) throw new InvalidRequestError('every event must be an object');
        const entry = registryEntry(event as RegistryEvent, now);
        if (entry) {
          audit.record(entry);
          recorded++;
        }
      }
      return { recorded };
    },
  );
}
