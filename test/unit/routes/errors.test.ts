import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  ConfigError,
  ConflictError,
  DeniedError,
  InvalidGrantError,
  InvalidRequestError,
  NotFoundError,
  PortcullisError,
  UnauthorizedError,
} from '../../../src/domain/errors.js';
import { BASIC_CHALLENGE, registerErrorHandling } from '../../../src/routes/errors.js';

const SECRET = 'postgres://portcullis:hunter2@db/portcullis';

// name -> [error, status, code, OAuth2 error (undefined: none), message shown (undefined: the error's own)]
const CASES: Record<string, [() => Error, number, string, string | undefined, string | undefined]> = {
  unauthorized: [() => new UnauthorizedError(), 401, 'UNAUTHORIZED', 'invalid_grant', undefined],
  denied: [() => new DeniedError(), 403, 'DENIED', undefined, undefined],
  invalidRequest: [() => new InvalidRequestError('bad'), 400, 'INVALID_REQUEST', 'invalid_request', undefined],
  invalidScope: [() => new InvalidRequestError('bad scope', 'INVALID_SCOPE'), 400, 'INVALID_SCOPE', 'invalid_scope', undefined],
  unsupportedGrant: [() => new InvalidRequestError('no', 'UNSUPPORTED_GRANT_TYPE'), 400, 'UNSUPPORTED_GRANT_TYPE', 'unsupported_grant_type', undefined],
  unknownService: [() => new InvalidRequestError('svc', 'UNKNOWN_SERVICE'), 400, 'UNKNOWN_SERVICE', 'invalid_request', undefined],
  invalidGrant: [() => new InvalidGrantError(), 401, 'INVALID_GRANT', 'invalid_grant', undefined],
  notFound: [() => new NotFoundError('no such user'), 404, 'NOT_FOUND', undefined, undefined],
  conflict: [() => new ConflictError('exists'), 409, 'CONFLICT', undefined, undefined],
  unavailable: [
    () => new BackendUnavailableError('ldap', new Error(SECRET)),
    503,
    'BACKEND_UNAVAILABLE',
    'temporarily_unavailable',
    'a backend is unavailable; try again shortly',
  ],
  config: [() => new ConfigError(`cannot connect to ${SECRET}`), 500, 'CONFIG_INVALID', undefined, 'internal error'],
  internal: [() => new PortcullisError('INTERNAL', `query failed on ${SECRET}`), 500, 'INTERNAL', undefined, 'internal error'],
  plain: [() => new Error(`connect ECONNREFUSED ${SECRET}`), 500, 'INTERNAL', undefined, 'internal error'],
  plainTypeError: [() => new TypeError(`cannot read ${SECRET}`), 500, 'INTERNAL', undefined, 'internal error'],
};

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify({ logger: false });
  registerErrorHandling(app);
  const fail = async (req: { params: unknown }) => {
    throw CASES[(req.params as { name: string }).name]![0]();
  };
  app.get('/plain/:name', fail);
  app.post('/oauth/:name', { config: { oauth: true } }, fail);
  app.post('/validated', { schema: { body: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } } } }, async () => 'ok');
  await app.ready();
});
afterAll(() => app.close());

describe('error handling', () => {
  const rows = Object.entries(CASES).map(([name, [make, status, code, oauthError, shown]]) => [name, status, code, make, oauthError, shown] as const);
  it.each(rows)('%s -> %i %s', async (name, status, code, make, oauthError, shown) => {
    const message = shown ?? make().message;
    for (const [method, url] of [
      ['GET', `/plain/${name}`],
      ['POST', `/oauth/${name}`],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['www-authenticate']).toBe(status === 401 ? BASIC_CHALLENGE : undefined);
      expect(res.headers['retry-after']).toBe(status === 503 ? '5' : undefined);
      const body = res.json<Record<string, unknown>>();
      const oauth = method === 'POST' && oauthError !== undefined ? { error: oauthError, error_description: message } : {};
      expect(body).toEqual({ errors: [{ code, message }], ...oauth });
      expect(res.body).not.toContain('hunter2');
    }
  });

  it('schema validation failures are 400 INVALID_REQUEST', async () => {
    const res = await app.inject({ method: 'POST', url: '/validated', payload: { y: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('INVALID_REQUEST');
  });

  it('Fastify 4xx errors keep their status', async () => {
    const res = await app.inject({ method: 'POST', url: '/validated', headers: { 'content-type': 'application/json' }, payload: '{"x":' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('INVALID_REQUEST');
  });

  it('an unknown route is 404 NOT_FOUND in the registry shape, without the query string', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope?password=hunter2' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'no route for GET /nope' }] });
  });
});
