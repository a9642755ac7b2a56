import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Secret } from '../../domain/secret.js';
import { callerOf } from './guard.js';
import * as S from './schemas.js';
import { meView } from './views.js';

/** The caller's own account: any authenticated user, admin or not. */
export default async function meRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { self } = app.services;
  const config = { access: 'user' } as const;

  app.get(
    '/me',
    { config, schema: { summary: 'Who the caller is', tags: ['me'], response: { 200: S.described(S.Me, 'the caller'), ...S.errors(S.AS_USER) } } },
    async (req) => meView(await self.whoami(callerOf(req))),
  );
  app.put(
    '/me/password',
    {
      config,
      schema: {
        summary: 'Change your own password',
        description: "Local users only. Revokes the caller's identity tokens (docker logins).",
        tags: ['me'],
        body: S.PasswordChange,
        response: {
          204: S.NoContent('changed'),
          ...S.errors([...S.AS_USER, ...S.WITH_BODY, 403, 409], {
            403: 'DENIED: oldPassword is not the current password',
            409: 'CONFLICT: a directory user changes their password in the directory',
          }),
        },
      },
    },
    async (req, reply) => {
      await self.changePassword(callerOf(req), req.ip, new Secret(req.body.oldPassword), new Secret(req.body.newPassword));
      return reply.code(204).send(null);
    },
  );
}
