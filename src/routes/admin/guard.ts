import type { FastifyRequest } from 'fastify';
import { DeniedError, UnauthorizedError, UnsupportedMediaTypeError } from '../../domain/errors.js';
import type { Identity } from '../../domain/model.js';
import type { Realm } from '../../realm/realm.js';
import { parseBasicAuth } from '../basic-auth.js';

/**
 * Who may call a route under /api/v1: a system admin, any authenticated user (their own
 * account, /me; and project routes, which then ask whether the caller administers the project),
 * or anyone (the OpenAPI document). A route that says nothing is admin-only.
 */
export type Access = 'admin' | 'user' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every route whose access is not `public`. */
    caller?: Identity;
  }
}

/**
 * The admin API speaks JSON only. A form body is what a cross-site page can send with a
 * browser's cached Basic credentials and no preflight, so anything but application/json is
 * refused before it is parsed. Runs after the credentials are checked.
 */
export async function requireJson(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  const hasBody = request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH' || type !== undefined;
  if (hasBody && !/^application\/json\s*(;|$)/i.test(type ?? '')) {
    throw new UnsupportedMediaTypeError('the admin API accepts only Content-Type: application/json');
  }
}

/**
 * Basic auth through the same chain (and login throttle) as tokens, then the route's access:
 * 401 without valid credentials, 403 for a user on an admin route.
 */
export function authenticate(realm: Realm) {
  return async (request: FastifyRequest): Promise<void> => {
    const access = request.routeOptions.config?.access ?? 'admin';
    if (access === 'public') return;
    const basic = parseBasicAuth(request.headers.authorization);
    if (!basic)
      throw new UnauthorizedError(access === 'admin' ? 'the admin API needs Basic credentials of a system admin' : 'this endpoint needs Basic credentials');
    const identity = await realm.authenticatePassword(request.ip, basic.username, basic.password);
    // Never which of the two: the log says when an account is disabled.
    if (!identity) throw new UnauthorizedError('invalid credentials or account disabled');
    // A robot pulls and pushes; it has no account to look at or administer.
    if (identity.robot) throw new DeniedError('robot accounts cannot use the API');
    // A token is narrowed to some projects and actions; the API would hand it its owner's whole account.
    if (identity.accessToken) throw new DeniedError('personal access tokens are for registry clients: the API needs your password');
    if (access === 'admin' && !identity.admin) throw new DeniedError('only system admins may use the admin API');
    request.caller = identity;
  };
}

/** The caller of a route that is not `public`; authenticate() has set it. */
export function callerOf(request: FastifyRequest): Identity {
  if (!request.caller) throw new TypeError(`${request.routeOptions.url} is public: it has no caller`);
  return request.caller;
}
