import type { FastifyInstance } from 'fastify';

/** Liveness says the process serves; readiness says the store answers too. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async () => {
    await app.services.store.ping();
    return { status: 'ready', database: app.services.store.db.kind };
  });
}
