import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BackendUnavailableError, isPortcullisError, ThrottledError, type ErrorCode } from '../domain/errors.js';
import type { Metrics } from '../metrics.js';

/** The registry's error body: `{"errors":[{"code","message"}]}`. */
export function errorBody(code: string, message: string): { errors: { code: string; message: string }[] } {
  return { errors: [{ code, message }] };
}

/** The one place an error code becomes an HTTP status. */
export const STATUS: Record<ErrorCode, number> = {
  UNAUTHORIZED: 401,
  DENIED: 403,
  INVALID_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_SCOPE: 400,
  UNSUPPORTED_GRANT_TYPE: 400,
  INVALID_GRANT: 401,
  UNKNOWN_SERVICE: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOOMANYREQUESTS: 429,
  BACKEND_UNAVAILABLE: 503,
  OVERLOADED: 503,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

export const BASIC_CHALLENGE = 'Basic realm="Portcullis", charset="UTF-8"';

// RFC 6749 §5.2 names, added on the OAuth2 (POST) token endpoint for clients that read them.
const OAUTH_ERROR: Partial<Record<ErrorCode, string>> = {
  INVALID_REQUEST: 'invalid_request',
  INVALID_SCOPE: 'invalid_scope',
  UNKNOWN_SERVICE: 'invalid_request',
  UNSUPPORTED_GRANT_TYPE: 'unsupported_grant_type',
  INVALID_GRANT: 'invalid_grant',
  UNAUTHORIZED: 'invalid_grant',
  BACKEND_UNAVAILABLE: 'temporarily_unavailable',
  OVERLOADED: 'temporarily_unavailable',
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Adds OAuth2 `error`/`error_description` fields to error bodies. */
    oauth?: boolean;
  }
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  const body: Record<string, unknown> = errorBody(code, message);
  if (request.routeOptions.config?.oauth && OAUTH_ERROR[code]) {
    body.error = OAUTH_ERROR[code];
    body.error_description = message;
  }
  if (status === 401) reply.header('WWW-Authenticate', BASIC_CHALLENGE);
  // A full password-check queue drains in well under a second; a backend outage takes longer.
  if (status === 503) reply.header('Retry-After', code === 'OVERLOADED' ? '1' : '5');
  return reply.code(status).header('Cache-Control', 'no-store').send(body);
}

/**
 * Fastify's `frameworkErrors`: what its router refuses (FST_ERR_BAD_URL for `/token%zz`, an
 * over-long path parameter) would otherwise leave in Fastify's own error shape.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  // Never echo the URL back: it may be long, or carry what the client should not have sent.
  const message =
    err.code === 'FST_ERR_BAD_URL'
      ? 'the URL is not valid percent-encoding'
      : status === 414
        ? 'the URL is too long'
        : 'the request was refused before routing';
  void send(request, reply, status, status === 404 ? 'NOT_FOUND' : 'INVALID_REQUEST', message);
}

/** One place maps every failure to a status and the registry's JSON shape; 5xx hide internals. */
export function registerErrorHandling(app: FastifyInstance, metrics?: Metrics): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof BackendUnavailableError) metrics?.backendUnavailable.inc({ backend: err.backend });
    if (isPortcullisError(err)) {
      const status = STATUS[err.code];
      if (status >= 500) {
        const quiet = err instanceof BackendUnavailableError && err.alreadyLogged;
        request.log[quiet ? 'debug' : 'warn']({ code: err.code, cause: (err.cause as Error | undefined)?.message }, err.message);
      }
      const message = err.code === 'BACKEND_UNAVAILABLE' ? 'a backend is unavailable; try again shortly' : status >= 500 ? 'internal error' : err.message;
      if (err instanceof ThrottledError) {
        reply.header('Retry-After', String(err.retryAfterSeconds));
        // ctr (containerd, the kubelet's puller) prints only the status line of a failed token request.
        reply.raw.statusMessage = `Too Many Requests: ${message}`;
      }
      return send(request, reply, status, err.code, message);
    }
    if (err.validation) return send(request, reply, 400, 'INVALID_REQUEST', err.message);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return send(request, reply, status, status === 404 ? 'NOT_FOUND' : 'INVALID_REQUEST', err.message);
    request.log.error({ err }, 'unhandled error');
    return send(request, reply, 500, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((request, reply) => send(request, reply, 404, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
