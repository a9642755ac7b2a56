import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

const Live = Type.Object({ status: Type.Literal('ok') });
const Ready = Type.Object({ status: Type.Literal('ready'), database: Type.Union([Type.Literal('embedded'), Type.Literal('postgres')]) });
const NotReady = Type.Object(
  { errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })) },
  { description: 'what keeps the service from being ready, each in words' },
);

/**
 * Liveness says the process serves; readiness says the store answers too, and that nothing
 * found at start or since (a refused LDAP service account) keeps it from serving its users. The
 * reasons are in the body: an operator reads them, a probe only the status.
 */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn', schema: { response: { 200: Live } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { logLevel: 'warn', schema: { response: { 200: Ready, 503: NotReady } } }, async (_request, reply) => {
    await app.services.store.ping();
    const reasons = app.services.notReady();
    if (reasons.length > 0) {
      return reply
        .code(503)
        .header('Cache-Control', 'no-store')
        .send({ errors: reasons.flatMap((r) => errorBody('BACKEND_UNAVAILABLE', r).errors) });
    }
    return { status: 'ready' as const, database: app.services.store.kind };
  });
}
