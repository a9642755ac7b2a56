import type { FastifyInstance } from 'fastify';
import { bundlePem, jwksFor } from '../token/keys/bundle.js';

/** Public key material: the JWKS registry 3.x can be given, and the PEM bundle for rootcertbundle. */
export default async function keyRoutes(app: FastifyInstance): Promise<void> {
  const { bundle } = app.services;
  const jwks = await jwksFor(bundle);
  const pem = bundlePem(bundle);
  app.get('/.well-known/jwks.json', async (_req, reply) => reply.header('Cache-Control', 'public, max-age=300').send(jwks));
  app.get('/certs/bundle.pem', async (_req, reply) => reply.type('application/x-pem-file').send(pem));
}
