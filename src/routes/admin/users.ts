import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Secret } from '../../domain/secret.js';
import * as S from './schemas.js';
import { userView } from './views.js';

const tags = ['users'];

/** Accounts, for system admins. */
export default async function userRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { admin } = app.services;

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a local user',
        tags,
        body: S.NewUser,
        response: { 201: S.described(S.User, 'the user'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 409]) },
      },
    },
    async (req, reply) => reply.code(201).send(userView(await admin.createUser(req.body.username, new Secret(req.body.password), req.body.admin ?? false))),
  );
  app.get(
    '/users',
    { schema: { summary: 'List every user', tags, response: { 200: Type.Array(S.User, { description: 'every user' }), ...S.errors(S.AS_ADMIN) } } },
    async () => (await admin.listUsers()).map(userView),
  );
  app.get(
    '/users/:name',
    {
      schema: {
        summary: 'Show a user, with their direct project memberships',
        tags,
        params: S.NameParam,
        response: { 200: S.described(S.UserDetail, 'the user'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => {
      const { user, memberships } = await admin.showUser(req.params.name);
      return { ...userView(user), memberships };
    },
  );
  app.patch(
    '/users/:name',
    {
      schema: {
        summary: 'Change a password, the admin flag, or disable a user',
        description: 'The last enabled system admin cannot be disabled or demoted (409).',
        tags,
        params: S.NameParam,
        body: S.UserPatch,
        response: { 200: S.described(S.User, 'the user as changed'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404, 409]) },
      },
    },
    async (req) =>
      userView(
        await admin.updateUser(req.params.name, {
          password: req.body.password === undefined ? undefined : new Secret(req.body.password),
          admin: req.body.admin,
          disabled: req.body.disabled,
        }),
      ),
  );
  app.delete(
    '/users/:name/identity-tokens',
    {
      schema: {
        summary: "Revoke a user's identity tokens (docker logins)",
        tags,
        params: S.NameParam,
        response: { 200: Type.Object({ revoked: Type.Integer() }, { description: 'how many were revoked' }), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => ({ revoked: await admin.revokeIdentityTokens(req.params.name) }),
  );
  app.delete(
    '/users/:name',
    {
      schema: {
        summary: 'Delete a user, with their memberships and identity tokens',
        description: 'The last enabled system admin cannot be deleted (409).',
        tags,
        params: S.NameParam,
        response: { 204: S.NoContent('deleted'), ...S.errors([...S.AS_ADMIN, 400, 404, 409]) },
      },
    },
    async (req, reply) => {
      await admin.deleteUser(req.params.name);
      return reply.code(204).send(null);
    },
  );
}
