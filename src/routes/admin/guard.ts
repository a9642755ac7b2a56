import type { FastifyRequest } from 'fastify';
import type { AuthChain } from '../../auth/chain.js';
import { DeniedError, UnauthorizedError } from '../../domain/errors.js';
import type { Identity } from '../../domain/model.js';
import { parseBasicAuth } from '../basic-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    admin?: Identity;
  }
}

/** Basic auth through the same chain as tokens; only system admins pass. */
export function requireAdmin(chain: AuthChain) {
  return async (request: FastifyRequest): Promise<void> => {
    const basic = parseBasicAuth(request.headers.authorization);
    if (!basic) throw new UnauthorizedError('the admin API needs Basic credentials of a system admin');
    const identity = await chain.authenticate(basic.username, basic.password);
    if (!identity) throw new UnauthorizedError('invalid username or password');
    if (!identity.admin) throw new DeniedError('only system admins may use the admin API');
    request.admin = identity;
  };
}
