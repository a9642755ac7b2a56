import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const Live = Type.Object({ status: Type.Literal('ok') });
const Database = Type.Union([Type.Literal('embedded'), Type.Literal('postgres')]);
const Ready = Type.Object({ status: Type.Literal('ready'), database: Database });
const NotReady = Type.Object({ status: Type.Literal('not ready'), database: Database, reason: Type.String() });
/** A store that is down answers 503 through the error handler, in the registry's shape. */
const Unavailable = Type.Object({ errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })) });

/**
 * Liveness says the process serves; readiness says the store answers too, and that the other
 * replicas publish the key this one signs with (else the registry may refuse its tokens).
 */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn', schema: { response: { 200: Live } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { logLevel: 'warn', schema: { response: { 200: Ready, 503: Type.Union([NotReady, Unavailable]) } } }, async (_req, reply) => {
    const { store, keyAgreement } = app.services;
    await store.ping();
    const reason = keyAgreement.problem;
    if (reason)
      return reply
        .code(503)
        .header('Retry-After', '5')
        .send({ status: 'not ready' as const, database: store.kind, reason });
    return { status: 'ready' as const, database: store.kind };
  });
}
