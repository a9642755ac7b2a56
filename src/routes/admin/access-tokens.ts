import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from './guard.js';
import * as S from './schemas.js';
import { accessTokenView } from './views.js';

const tags = ['tokens'];

/**
 * Personal access tokens: a user makes and manages their own under /me/tokens; a system admin
 * lists and revokes anyone's under /users/NAME/tokens (and every token at /tokens).
 */
export default async function accessTokenRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { accessTokens } = app.services;
  const asUser = { access: 'user' } as const;

  app.post(
    '/me/tokens',
    {
      config: asUser,
      schema: {
        summary: 'Create a personal access token',
        description:
          'Give it as the password, with your username, to docker login, skopeo, podman or ctr. What it may do is its limits intersected with your rights at each request. Log in with your password, not with a token, to manage tokens.',
        tags,
        body: S.NewAccessToken,
        response: {
          201: S.described(S.AccessTokenWithSecret, 'the token, with its value (shown only now)'),
          ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404, 409], {
            404: 'NOT_FOUND: a project named does not exist',
            409: 'CONFLICT: a token of that name exists, or too many tokens',
          }),
        },
      },
    },
    async (req, reply) => {
      const { token, secret } = await accessTokens.create(callerOf(req), req.body);
      return reply.code(201).send({ ...accessTokenView(token), token: secret });
    },
  );
  app.get(
    '/me/tokens',
    {
      config: asUser,
      schema: {
        summary: 'List your personal access tokens',
        tags,
        response: { 200: Type.Array(S.AccessToken, { description: 'your tokens' }), ...S.errors(S.AS_ADMIN) },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      return (await accessTokens.list(caller, caller.username)).map(accessTokenView);
    },
  );
  app.delete(
    '/me/tokens/:id',
    {
      config: asUser,
      schema: {
        summary: 'Revoke one of your personal access tokens',
        tags,
        params: S.TokenIdParam,
        response: { 204: S.NoContent('revoked'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      await accessTokens.revoke(caller, caller.username, Number(req.params.id));
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/tokens',
    {
      schema: {
        summary: "List every user's personal access tokens",
        tags,
        response: { 200: Type.Array(S.AccessToken, { description: 'every token' }), ...S.errors(S.AS_ADMIN) },
      },
    },
    async (req) => (await accessTokens.list(callerOf(req))).map(accessTokenView),
  );
  app.get(
    '/users/:name/tokens',
    {
      schema: {
        summary: "List a user's personal access tokens",
        tags,
        params: S.NameParam,
        response: { 200: Type.Array(S.AccessToken, { description: "the user's tokens" }), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => (await accessTokens.list(callerOf(req), req.params.name)).map(accessTokenView),
  );
  app.delete(
    '/users/:name/tokens/:id',
    {
      schema: {
        summary: "Revoke a user's personal access token",
        tags,
        params: S.UserTokenParams,
        response: { 204: S.NoContent('revoked'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req, reply) => {
      await accessTokens.revoke(callerOf(req), req.params.name, Number(req.params.id));
      return reply.code(204).send(null);
    },
  );
}
