import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { splitListen } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { TlsFiles } from '../tls.js';
import { addressList } from './address-list.js';
import { capConnections, connectionOptions, onClientError } from './connection-guard.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The second listener `adminListen` asks for; undefined without it. */
    adminListener: AdminListener | undefined;
  }
}

export interface AdminListener {
  server: Server;
  /** Starts listening on `adminListen`; resolves to the URL it serves. */
  listen(): Promise<string>;
}

/** Routes (by their pattern, never the raw URL: `/%61pi/v1` routes to /api/v1) kept off the public listener. */
const isAdminRoute = (pattern: string | undefined) => pattern !== undefined && (pattern === '/metrics' || pattern.startsWith('/api/v1'));
const isHealthRoute = (pattern: string | undefined) => pattern === '/healthz' || pattern === '/readyz';

/**
 * With `adminListen`, the admin API and /metrics are served only on that second address (with
 * the health checks), and answer 404 on the public one, as a path that does not exist does.
 * Both listeners run the same app: one set of services, one store.
 */
export function separateAdminListener(app: FastifyInstance, config: Config, tls: TlsFiles | undefined): void {
  const address = config.adminListen;
  if (!address) {
    app.decorate('adminListener', undefined);
    return;
  }
  const fromAdmin = new WeakSet<IncomingMessage>();
  const handler = (req: IncomingMessage, res: Parameters<typeof app.routing>[1]) => {
    fromAdmin.add(req);
    app.routing(req, res);
  };
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  const limits = connectionOptions(config.limits);
  server.headersTimeout = limits.http.headersTimeout;
  server.requestTimeout = limits.requestTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.timeout = limits.connectionTimeout;
  server.on('clientError', onClientError);
  capConnections(server, config.limits, addressList(config.trustedProxies, 'trustedProxies'));

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const pattern = request.routeOptions.url;
    const admin = fromAdmin.has(request.raw);
    if (admin ? !isAdminRoute(pattern) && !isHealthRoute(pattern) : isAdminRoute(pattern)) return reply.callNotFound();
  });
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  app.decorate('adminListener', {
    server: server as Server,
    listen: async () => {
      const [host, port] = splitListen(address);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const bound = server.address() as { address: string; port: number };
      const shown = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
      return `${tls ? 'https' : 'http'}://${shown}:${bound.port}`;
    },
  });
}
