import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DeniedError } from '../../domain/errors.js';
import { callerOf } from './guard.js';
import * as S from './schemas.js';
import { robotView } from './views.js';

const tags = ['robots'];

/**
 * Robot accounts: system robots for system admins, a project's robots also for that project's
 * admins (each handler asks). The secret is in the body of create and refresh only.
 */
export default async function robotRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { robots, projectAdmins } = app.services;
  const config = { access: 'user' } as const;
  const named = { params: S.RobotNameParam, tags };
  /** The robot, once the caller is known to manage it. */
  const managed = async (req: { params: { name: string } }, caller: Parameters<typeof projectAdmins.check>[0]) => {
    const robot = await robots.show(req.params.name);
    await projectAdmins.check(caller, robot.project);
    return robot;
  };

  app.post(
    '/robots',
    {
      config,
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
      await projectAdmins.check(callerOf(req), req.body.project ?? null);
      const { robot, secret } = await robots.create(req.body);
      return reply.code(201).send({ ...robotView(robot), secret });
    },
  );
  app.get(
    '/robots',
    {
      config,
      schema: {
        summary: 'List robot accounts',
        description: 'Every robot for system admins; a project admin names their project.',
        tags,
        querystring: S.RobotQuery,
        response: { 200: Type.Array(S.Robot, { description: 'the robots, without secrets' }), ...S.errors([...S.AS_ADMIN, 400]) },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      if (req.query.project === undefined && !caller.admin) throw new DeniedError('only system admins may list every robot: name a project (?project=NAME)');
      if (req.query.project !== undefined) await projectAdmins.check(caller, req.query.project);
      return (await robots.list(req.query.project)).map(robotView);
    },
  );
  app.get(
    '/robots/:name',
    {
      config,
      schema: {
        summary: 'Show a robot account',
        ...named,
        response: { 200: S.described(S.Robot, 'the robot, without its secret'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => robotView(await managed(req, callerOf(req))),
  );
  app.patch(
    '/robots/:name',
    {
      config,
      schema: {
        summary: 'Change, disable or enable a robot account',
        ...named,
        body: S.RobotPatch,
        response: { 200: S.described(S.Robot, 'the robot as changed'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404]) },
      },
    },
    async (req) => {
      await managed(req, callerOf(req));
      return robotView(await robots.update(req.params.name, req.body));
    },
  );
  app.post(
    '/robots/:name/refresh',
    {
      config,
      schema: {
        summary: "Replace a robot's secret",
        description: 'The old secret stops working at once.',
        ...named,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: S.described(S.RobotWithSecret, 'the robot, with its new secret (shown only now)'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404]) },
      },
    },
    async (req) => {
      await managed(req, callerOf(req));
      const { robot, secret } = await robots.refresh(req.params.name);
      return { ...robotView(robot), secret };
    },
  );
  app.delete(
    '/robots/:name',
    { config, schema: { summary: 'Delete a robot account', ...named, response: { 204: S.NoContent('deleted'), ...S.errors([...S.AS_ADMIN, 400, 404]) } } },
    async (req, reply) => {
      await managed(req, callerOf(req));
      await robots.delete(req.params.name);
      return reply.code(204).send(null);
    },
  );
}
