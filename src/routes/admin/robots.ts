import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from './schemas.js';
import { robotView } from './views.js';

const tags = ['robots'];

/** Robot accounts, for system admins. The secret is in the body of create and refresh only. */
export default async function robotRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { robots } = app.services;
  const named = { params: S.RobotNameParam, tags };

  app.post(
    '/robots',
    {
      schema: {
        summary: 'Create a robot account',
        description: 'With project: a project robot robot$PROJECT+NAME acting on that project only. Without: a system robot robot$NAME.',
        tags,
        body: S.NewRobot,
        response: {
          201: S.described(S.RobotWithSecret, 'the robot, with its secret (shown only now)'),
          ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404, 409], { 404: 'NOT_FOUND: a project named does not exist' }),
        },
      },
    },
    async (req, reply) => {
      const { robot, secret } = await robots.create(req.body);
      return reply.code(201).send({ ...robotView(robot), secret });
    },
  );
  app.get(
    '/robots',
    {
      schema: {
        summary: 'List robot accounts',
        tags,
        querystring: S.RobotQuery,
        response: { 200: Type.Array(S.Robot, { description: 'the robots, without secrets' }), ...S.errors([...S.AS_ADMIN, 400]) },
      },
    },
    async (req) => (await robots.list(req.query.project)).map(robotView),
  );
  app.get(
    '/robots/:name',
    {
      schema: {
        summary: 'Show a robot account',
        ...named,
        response: { 200: S.described(S.Robot, 'the robot, without its secret'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => robotView(await robots.show(req.params.name)),
  );
  app.patch(
    '/robots/:name',
    {
      schema: {
        summary: 'Change, disable or enable a robot account',
        ...named,
        body: S.RobotPatch,
        response: { 200: S.described(S.Robot, 'the robot as changed'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404]) },
      },
    },
    async (req) => robotView(await robots.update(req.params.name, req.body)),
  );
  app.post(
    '/robots/:name/refresh',
    {
      schema: {
        summary: "Replace a robot's secret",
        description: 'The old secret stops working at once.',
        ...named,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: S.described(S.RobotWithSecret, 'the robot, with its new secret (shown only now)'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404]) },
      },
    },
    async (req) => {
      const { robot, secret } = await robots.refresh(req.params.name);
      return { ...robotView(robot), secret };
    },
  );
  app.delete(
    '/robots/:name',
    { schema: { summary: 'Delete a robot account', ...named, response: { 204: S.NoContent('deleted'), ...S.errors([...S.AS_ADMIN, 400, 404]) } } },
    async (req, reply) => {
      await robots.delete(req.params.name);
      return reply.code(204).send(null);
    },
  );
}
