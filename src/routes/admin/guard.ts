import type { FastifyRequest } from 'fastify';
import { DeniedError, UnauthorizedError, UnsupportedMediaTypeError } from '../../domain/errors.js';
import type { Identity } from '../../domain/model.js';
import type { Realm } from '../../realm/realm.js';
import { parseBasicAuth } from '../basic-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    admin?: Identity;
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

/** Basic auth through the same chain as tokens; only system admins pass. */
export function requireAdmin(realm: Realm) {
  return async (request: FastifyRequest): Promise<void> => {
    const basic = parseBasicAuth(request.headers.authorization);
    if (!basic) throw new UnauthorizedError('the admin API needs Basic credentials of a system admin');
    const identity = await realm.authenticatePassword(request.ip, basic.username, basic.password);
    if (!identity) throw new UnauthorizedError('invalid username or password');
    if (!identity.admin) throw new DeniedError('only system admins may use the admin API');
    request.admin = identity;
  };
}
