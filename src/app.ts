import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import type { Config } from './config/schema.js';
import core, { type CoreOptions } from './plugins/core.js';
import { loggerOptions } from './routes/logging.js';
import { registerErrorHandling, errorBody } from './routes/errors.js';
import tokenRoutes from './routes/token.js';
import keyRoutes from './routes/keys.js';
import healthRoutes from './routes/health.js';
import adminRoutes from './routes/admin/index.js';
import metricsRoutes from './routes/metrics.js';
import { Metrics } from './metrics.js';

export interface AppOptions {
  /** Overrides the pino options derived from config (tests pass `false`). */
  logger?: FastifyServerOptions['logger'];
  authenticators?: CoreOptions['authenticators'];
  /** Node process metrics (event loop, heap) on /metrics; default on. */
  processMetrics?: boolean;
}

/** Builds the service; listening is the caller's business (server.ts, tests use inject). */
export async function buildApp(config: Config, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config.log.level),
    // Large enough that an oversized Authorization header reaches us and gets a JSON 400.
    http: { maxHeaderSize: 64 * 1024 },
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    // Opening the store may wait out a database that is still starting (openStore retries for
    // 30 s) and the embedded one runs initdb on first start.
    pluginTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    clientErrorHandler: (_err, socket) => {
      if (!socket.writable) return socket.destroy();
      const body = JSON.stringify(errorBody('INVALID_REQUEST', 'malformed HTTP request'));
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });
  const metrics = new Metrics({ processMetrics: opts.processMetrics ?? true });
  registerErrorHandling(app, metrics);
  await app.register(formbody);
  await app.register(core, { config, metrics, authenticators: opts.authenticators });
  await app.register(tokenRoutes);
  await app.register(keyRoutes);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(adminRoutes, { prefix: '/api/v1' });
  return app;
}
