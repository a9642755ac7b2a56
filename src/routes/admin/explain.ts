import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { formatScope, parseScopes } from '../../token/scope.js';
import * as S from './schemas.js';

const ExplainQuery = Type.Object(
  {
    account: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: 'a user or robot name; absent: anonymous' })),
    scope: Type.Union([Type.String({ maxLength: 1024 }), Type.Array(Type.String({ maxLength: 1024 }), { minItems: 1, maxItems: 64 })], {
      description: 'scopes as a client asks for them (repository:team/app:pull,push), repeated',
    }),
  },
  { additionalProperties: false },
);

const Explanation = Type.Object({
  account: Type.Union([Type.String(), Type.Null()], { description: 'null: anonymous' }),
  loginRefused: Type.Optional(Type.String({ description: 'a login of this account would be refused now (disabled, expired), whatever the password' })),
  granted: Type.Array(Type.String(), { description: 'the access a token would hold' }),
  actions: Type.Array(
    Type.Object({
      resource: Type.String(),
      action: Type.String(),
      granted: Type.Boolean(),
      rule: Type.String({ description: 'what granted it (system_admin, role, public_project, robot_permission) or the reason it was not' }),
      explanation: Type.String(),
      project: Type.Optional(Type.String()),
      role: Type.Optional(Type.String()),
      group: Type.Optional(Type.String()),
    }),
  ),
});

/** Why an account gets what it gets: the realm's own decision, for system admins. */
export default async function explainRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { explainer, config } = app.services;

  app.get(
    '/explain',
    {
      schema: {
        summary: 'Explain what a token would grant an account, action by action',
        description: 'Each requested action, granted or not, with the rule that decided: the same decision the token endpoint makes.',
        tags: ['audit'],
        querystring: ExplainQuery,
        response: { 200: S.described(Explanation, 'the decision'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => {
      const raw = Array.isArray(req.query.scope) ? req.query.scope : [req.query.scope];
      const e = await explainer.explain(req.query.account ?? null, parseScopes(raw, config.limits));
      return {
        account: e.account,
        ...(e.loginRefused ? { loginRefused: e.loginRefused } : {}),
        granted: e.granted.map(formatScope),
        actions: e.actions.map((a) => ({
          resource: `${a.type}:${a.name}`,
          action: a.action,
          granted: a.granted,
          rule: a.rule,
          explanation: a.explanation,
          ...(a.project === undefined ? {} : { project: a.project }),
          ...(a.role === undefined ? {} : { role: a.role }),
          ...(a.group === undefined ? {} : { group: a.group }),
        })),
      };
    },
  );
}
