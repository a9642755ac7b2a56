import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from './guard.js';
import * as S from './schemas.js';
import { memberView, parsePrincipal, projectView } from './views.js';

/** Projects for system admins; a project's members also for the project's own admins. */
export default async function projectRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { admin, projectAdmins } = app.services;
  const tags = ['projects'];

  app.post(
    '/projects',
    {
      schema: {
        summary: 'Create a project',
        tags,
        body: S.NewProject,
        response: { 201: S.described(S.Project, 'the project'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 409]) },
      },
    },
    async (req, reply) => reply.code(201).send(projectView(await admin.createProject(req.body.name, req.body.public ?? false))),
  );
  app.get(
    '/projects',
    { schema: { summary: 'List every project', tags, response: { 200: Type.Array(S.Project, { description: 'every project' }), ...S.errors(S.AS_ADMIN) } } },
    async () => (await admin.listProjects()).map(projectView),
  );
  app.patch(
    '/projects/:name',
    {
      schema: {
        summary: 'Make a project public or private',
        tags,
        params: S.NameParam,
        body: S.ProjectPatch,
        response: { 200: S.described(S.Project, 'the project as changed'), ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404]) },
      },
    },
    async (req) => projectView(await admin.setProjectPublic(req.params.name, req.body.public)),
  );
  app.delete(
    '/projects/:name',
    {
      schema: {
        summary: 'Delete a project and its memberships',
        tags,
        params: S.NameParam,
        response: { 204: S.NoContent('deleted'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req, reply) => {
      await admin.deleteProject(req.params.name);
      return reply.code(204).send(null);
    },
  );

  const memberTags = ['members'];
  // Any user may call; the handler asks whether they administer the project.
  const delegated = { access: 'user' } as const;
  app.get(
    '/projects/:name/members',
    {
      config: delegated,
      schema: {
        summary: "List a project's members",
        description: 'For system admins and admins of the project.',
        tags: memberTags,
        params: S.NameParam,
        response: { 200: Type.Array(S.Member, { description: 'the members' }), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req) => {
      await projectAdmins.check(callerOf(req), req.params.name);
      return (await admin.listMembers(req.params.name)).map(memberView);
    },
  );
  app.put(
    '/projects/:name/members/:principal',
    {
      config: delegated,
      schema: {
        summary: 'Add a member, or change their role',
        description: 'For system admins and admins of the project.',
        tags: memberTags,
        params: S.MemberParams,
        body: S.MemberBody,
        response: {
          200: S.described(S.MemberSet, 'the membership, with a warning when the directory does not know the group'),
          ...S.errors([...S.AS_ADMIN, ...S.WITH_BODY, 404]),
        },
      },
    },
    async (req) => {
      await projectAdmins.check(callerOf(req), req.params.name);
      const principal = parsePrincipal(req.params.principal);
      const { warning } = await admin.setMember(req.params.name, principal, req.body.role);
      return { ...memberView({ principal, role: req.body.role }), ...(warning ? { warning } : {}) };
    },
  );
  app.delete(
    '/projects/:name/members/:principal',
    {
      config: delegated,
      schema: {
        summary: 'Remove a member',
        description: 'For system admins and admins of the project.',
        tags: memberTags,
        params: S.MemberParams,
        response: { 204: S.NoContent('removed'), ...S.errors([...S.AS_ADMIN, 400, 404]) },
      },
    },
    async (req, reply) => {
      await projectAdmins.check(callerOf(req), req.params.name);
      await admin.removeMember(req.params.name, parsePrincipal(req.params.principal));
      return reply.code(204).send(null);
    },
  );
}
