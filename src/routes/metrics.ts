import type { FastifyInstance } from 'fastify';

/** Prometheus exposition of the app's metrics. */
export default async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const { registry } = app.metrics;
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
