import type { FastifyInstance } from 'fastify';

/**
 * Public key material: the JWKS registry 3.x can be given, and the PEM bundle for
 * rootcertbundle. Read from the key ring on each request, so a rotation shows at once.
 */
export default async function keyRoutes(app: FastifyInstance): Promise<void> {
  const { keys } = app.services;
  app.get('/.well-known/jwks.json', async (_req, reply) => reply.header('Cache-Control', 'public, max-age=300').send(keys.published.jwks));
  app.get('/certs/bundle.pem', async (_req, reply) => reply.type('application/x-pem-file').send(keys.published.pem));
}
