import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import { createServices, type AuthenticatorFactory, type Services } from '../services.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    metrics: Metrics;
  }
}

export interface CoreOptions {
  config: Config;
  metrics: Metrics;
  /** Replaces the built-in authenticator of that name (tests). */
  authenticators?: Record<string, AuthenticatorFactory> | undefined;
  ldapRecheckEveryMs?: number | undefined;
}

/** Decorates the app with the services the composition root builds, and closes them with it. */
async function core(app: FastifyInstance, opts: CoreOptions): Promise<void> {
  const { services, close } = await createServices(opts.config, {
    logger: app.log,
    onPasswordCheck: (result) => opts.metrics.passwordChecks.inc({ result }),
    authenticators: opts.authenticators,
    onAuditDrop: (count) => opts.metrics.auditDropped.inc(count),
    ldapRecheckEveryMs: opts.ldapRecheckEveryMs,
  });
  opts.metrics.auditBufferedNow = () => services.audit.buffered;
  app.addHook('onClose', close);
  app.decorate('services', services);
  app.decorate('metrics', opts.metrics);
}

export default fp(core, { name: 'portcullis-core', fastify: '5.x' });
