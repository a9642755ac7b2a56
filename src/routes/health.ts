import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const Live = Type.Object({ status: Type.Literal('ok') });
const Ready = Type.Object({ status: Type.Literal('ready'), database: Type.Union([Type.Literal('embedded'), Type.Literal('postgres')]) });

/** Liveness says the process serves; readiness says the store answers too. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn', schema: { response: { 200: Live } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { logLevel: 'warn', schema: { response: { 200: Ready } } }, async () => {
    await app.services.store.ping();
    return { status: 'ready' as const, database: app.services.store.kind };
  });
}
