import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import auditRoutes from './audit.js';
import { recordChanges } from './change-audit.js';
import explainRoutes from './explain.js';
import accessTokenRoutes from './access-tokens.js';
import { authenticate, requireJson } from './guard.js';
import meRoutes from './me.js';
import openapiRoute, { openapiOptions } from './openapi.js';
import projectRoutes from './projects.js';
import robotRoutes from './robots.js';
import { ErrorBody } from './schemas.js';
import userRoutes from './users.js';

/**
 * /api/v1: users, projects and members for system admins (the CLI's server side), the caller's
 * own account for any user, and the OpenAPI document of all of it. Each route says who may
 * call it (guard.ts); one saying nothing is admin-only.
 */
export default async function apiRoutes(app: FastifyInstance): Promise<void> {
  // Registered first: it collects every route registered after it in this scope.
  await app.register(swagger, openapiOptions);
  app.addSchema(ErrorBody);
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
  });
  // Who is asking is settled before the body is even parsed: an anonymous caller learns
  // nothing from validation errors, and a user nothing from an admin route but 403.
  app.addHook('onRequest', authenticate(app.services.realm));
  app.addHook('onRequest', requireJson);
  app.addHook('onSend', recordChanges(app.services.audit));

  await app.register(userRoutes);
  await app.register(projectRoutes);
  await app.register(robotRoutes);
  await app.register(meRoutes);
  await app.register(auditRoutes);
  await app.register(explainRoutes);
  await app.register(accessTokenRoutes);
  await app.register(openapiRoute);
}
