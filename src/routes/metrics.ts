import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DeniedError, UnauthorizedError } from '../domain/errors.js';
import { addressList } from './address-list.js';

/**
 * Prometheus exposition of the app's metrics, for `metrics.allowFrom` addresses (loopback by
 * default) and for `Authorization: Bearer metrics.bearerToken` from anywhere: the page shows
 * the Node version and login-failure counts, nothing for the open internet.
 */
export default async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const { registry } = app.metrics;
  const { allowFrom, bearerToken } = app.services.config.metrics;
  const allowed = addressList(allowFrom, 'metrics.allowFrom');
  const token = bearerToken === undefined ? undefined : Buffer.from(bearerToken);

  const check = async (request: FastifyRequest): Promise<void> => {
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token && presented !== undefined) {
      const given = Buffer.from(presented.trim());
      if (given.length === token.length && timingSafeEqual(given, token)) return;
      throw new UnauthorizedError('wrong metrics bearer token');
    }
    if (!allowed(request.ip)) throw new DeniedError('metrics are served to metrics.allowFrom addresses, or with metrics.bearerToken');
  };

  app.get('/metrics', { logLevel: 'warn', onRequest: check }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
