import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import formbody from '@fastify/formbody';
import type { Config } from './config/schema.js';
import core, { type CoreOptions } from './plugins/core.js';
import { loggerOptions } from './routes/logging.js';
import { readTlsFiles } from './tls.js';
import { frameworkErrorHandler, registerErrorHandling } from './routes/errors.js';
import { addressList } from './routes/address-list.js';
import { separateAdminListener } from './routes/admin-listener.js';
import { capConnections, connectionOptions, onClientError } from './routes/connection-guard.js';
import tokenRoutes from './routes/token.js';
import keyRoutes from './routes/keys.js';
import healthRoutes from './routes/health.js';
import apiRoutes from './routes/admin/index.js';
import metricsRoutes from './routes/metrics.js';
import registryEventRoutes from './routes/registry-events.js';
import { Metrics } from './metrics.js';

export interface AppOptions {
  /** Overrides the pino options derived from config (tests pass `false`). */
  logger?: FastifyServerOptions['logger'];
  authenticators?: CoreOptions['authenticators'];
  /** How often a refused LDAP service account is tried again (tests shorten it). */
  ldapRecheckEveryMs?: number;
  /** Node process metrics (event loop, heap) on /metrics; default on. */
  processMetrics?: boolean;
  /** Told of every route as it is registered (tests list the routes). */
  onRoute?: (route: RouteOptions) => void;
}

/** Builds the service; listening is the caller's business (server.ts, tests use inject). */
export async function buildApp(config: Config, opts: AppOptions = {}): Promise<FastifyInstance> {
  const connections = connectionOptions(config.limits);
  const tls = readTlsFiles(config.tls);
  const app = Fastify({
    ...(tls ? { https: tls } : {}),
    logger: opts.logger ?? loggerOptions(config.log.level),
    ...connections,
    // Large enough that an oversized Authorization header reaches us and gets a JSON 400.
    http: { ...connections.http, maxHeaderSize: 64 * 1024 },
    bodyLimit: 64 * 1024,
    // Opening the store may wait out a database that is still starting (openStore retries for
    // 30 s) and the embedded one runs initdb on first start.
    pluginTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // request.ip: X-Forwarded-For counts only when the socket belongs to a configured proxy.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // Errors Fastify raises before routing (a bad URL encoding, an over-long parameter).
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: onClientError,
  });
  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);
  capConnections(app.server, config.limits, addressList(config.trustedProxies, 'trustedProxies'));
  const metrics = new Metrics({ processMetrics: opts.processMetrics ?? true });
  registerErrorHandling(app, metrics);
  separateAdminListener(app, config, tls);
  await app.register(formbody);
  await app.register(core, { config, metrics, authenticators: opts.authenticators, ldapRecheckEveryMs: opts.ldapRecheckEveryMs });
  await app.register(tokenRoutes);
  await app.register(keyRoutes);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(registryEventRoutes);
  await app.register(apiRoutes, { prefix: '/api/v1' });
  return app;
}
