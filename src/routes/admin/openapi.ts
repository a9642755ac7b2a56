import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';

/**
 * The document @fastify/swagger builds from the route schemas. `info.version` is the API's
 * version, not the package's: an anonymous caller learns no release to look up.
 */
export const openapiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis API',
      version: 'v1',
      description:
        'Users, projects, members and robot accounts (system admins), and the caller\'s own account (any user). Basic auth through the same chain and login throttle as tokens; JSON bodies only (415 otherwise). Every error has the registry\'s shape {"errors":[{"code","message"}]}.',
    },
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    security: [{ basic: [] }],
    tags: [
      { name: 'users', description: 'local and directory accounts (system admins)' },
      { name: 'projects', description: 'projects: the first segment of a repository name (system admins)' },
      { name: 'members', description: "a project's users and directory groups, with their roles (system admins)" },
      { name: 'robots', description: 'robot accounts: a secret instead of a password, permissions instead of memberships (system admins)' },
      { name: 'me', description: "the caller's own account (any authenticated user)" },
      { name: 'audit', description: 'the audit trail (system admins, and project admins for their projects) and explain (system admins)' },
      { name: 'meta', description: 'this document' },
    ],
  },
  // Shared schemas keep their $id as their name in components.schemas (not def-0, def-1...).
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
};

/**
 * `GET /openapi.json` is public: it holds no data, only the shape of the routes (the source is
 * public too), costs no password check, and tools that generate clients fetch it without
 * credentials. Every other route still checks credentials before it reads a body.
 */
export default async function openapiRoute(app: FastifyInstance): Promise<void> {
  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: {
        summary: 'This OpenAPI document',
        tags: ['meta'],
        security: [],
        response: { 200: Type.Object({ openapi: Type.String() }, { additionalProperties: true, description: 'the OpenAPI 3.1 document of /api/v1' }) },
      },
    },
    async () => app.swagger(),
  );
}
