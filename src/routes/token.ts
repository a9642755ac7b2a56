import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenRequest } from '../realm/realm.js';
import { formatScope } from '../token/scope.js';
import { fromForm, fromQuery } from './token-request.js';

const ParamValue = Type.Union([Type.String(), Type.Array(Type.String())]);
const Params = Type.Record(Type.String(), ParamValue);

const TokenResponse = Type.Object({
  token: Type.String(),
  access_token: Type.String(),
  expires_in: Type.Integer(),
  issued_at: Type.String(),
  refresh_token: Type.Optional(Type.String()),
});

const ErrorResponse = Type.Object({ errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })) }, { additionalProperties: true });

const responses = { 200: TokenResponse, '4xx': ErrorResponse, '5xx': ErrorResponse };

/** RFC 3339 without fractions: Go clients parse it, and an empty string or a number breaks them. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The realm endpoint: GET with Basic auth (docker-registry flavour) and POST (OAuth2 form). */
export default async function tokenRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { config, realm } = app.services;
  const { metrics } = app;
  const limits = config.limits;

  // Labels stay a small fixed set whatever a client sends.
  const grantOf = (request: FastifyRequest): string => {
    if (request.method === 'GET') return request.headers.authorization ? 'basic' : 'anonymous';
    const grant = (request.body as Record<string, unknown> | undefined)?.grant_type;
    return grant === 'password' || grant === 'refresh_token' ? grant : 'other';
  };
  app.addHook('onResponse', async (request, reply) => {
    const grant = grantOf(request);
    metrics.tokenRequests.inc({ method: request.method, grant, status: String(reply.statusCode) });
    metrics.tokenDuration.observe({ grant }, reply.elapsedTime / 1000);
  });

  const respond = async (request: FastifyRequest, req: TokenRequest) => {
    // For the audit; bounded, since a client may send anything.
    const agent = request.headers['user-agent'];
    if (agent) req.userAgent = agent.slice(0, 256);
    const grant = await realm.issue(req);
    request.log.info(
      {
        sub: grant.subject,
        via: req.credentials.kind,
        client: req.clientId || undefined,
        requested: req.scopes.map(formatScope),
        granted: grant.granted.map(formatScope),
        identityToken: grant.refreshToken !== undefined || undefined,
      },
      'token issued',
    );
    return {
      token: grant.token,
      access_token: grant.token,
      expires_in: grant.expiresIn,
      issued_at: rfc3339(grant.issuedAt),
      ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
    };
  };

  app.get('/token', { schema: { querystring: Params, response: responses } }, async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    return respond(request, fromQuery(request.query, request.headers.authorization, config.token.service, limits, request.ip));
  });

  app.post('/token', { schema: { body: Params, response: responses }, config: { oauth: true } }, async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    // An empty POST has no body at all; it still gets the form's "grant_type is required".
    return respond(request, fromForm(request.body ?? {}, config.token.service, limits, request.ip));
  });
}
