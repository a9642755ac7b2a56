import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Secret } from '../../domain/secret.js';
import { requireAdmin, requireJson } from './guard.js';
import * as S from './schemas.js';
import { memberView, parsePrincipal, projectView, userView } from './views.js';

/** /api/v1: users, projects and members, for system admins (the CLI's server side). */
export default async function adminRoutes(base: FastifyInstance): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { admin, realm } = app.services;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
  });
  // Who is asking is settled before the body is even parsed: an anonymous caller learns
  // nothing about the schema from validation errors.
  app.addHook('onRequest', requireAdmin(realm));
  app.addHook('onRequest', requireJson);

  app.post('/users', { schema: { body: S.NewUser, response: { 201: S.User } } }, async (req, reply) =>
    reply.code(201).send(userView(await admin.createUser(req.body.username, new Secret(req.body.password), req.body.admin ?? false))),
  );
  app.get('/users', { schema: { response: { 200: Type.Array(S.User) } } }, async () => (await admin.listUsers()).map(userView));
  app.patch('/users/:name', { schema: { params: S.NameParam, body: S.UserPatch, response: { 200: S.User } } }, async (req) =>
    userView(
      await admin.updateUser(req.params.name, {
        password: req.body.password === undefined ? undefined : new Secret(req.body.password),
        admin: req.body.admin,
        disabled: req.body.disabled,
      }),
    ),
  );
  app.delete('/users/:name/identity-tokens', { schema: { params: S.NameParam, response: { 200: Type.Object({ revoked: Type.Integer() }) } } }, async (req) => ({
    revoked: await admin.revokeIdentityTokens(req.params.name),
  }));
  app.delete('/users/:name', { schema: { params: S.NameParam } }, async (req, reply) => {
    await admin.deleteUser(req.params.name);
    return reply.code(204).send();
  });

  app.post('/projects', { schema: { body: S.NewProject, response: { 201: S.Project } } }, async (req, reply) =>
    reply.code(201).send(projectView(await admin.createProject(req.body.name, req.body.public ?? false))),
  );
  app.get('/projects', { schema: { response: { 200: Type.Array(S.Project) } } }, async () => (await admin.listProjects()).map(projectView));
  app.patch('/projects/:name', { schema: { params: S.NameParam, body: S.ProjectPatch, response: { 200: S.Project } } }, async (req) =>
    projectView(await admin.setProjectPublic(req.params.name, req.body.public)),
  );
  app.delete('/projects/:name', { schema: { params: S.NameParam } }, async (req, reply) => {
    await admin.deleteProject(req.params.name);
    return reply.code(204).send();
  });

  app.get('/projects/:name/members', { schema: { params: S.NameParam, response: { 200: Type.Array(S.Member) } } }, async (req) =>
    (await admin.listMembers(req.params.name)).map(memberView),
  );
  app.put('/projects/:name/members/:principal', { schema: { params: S.MemberParams, body: S.MemberBody, response: { 200: S.Member } } }, async (req) => {
    const principal = parsePrincipal(req.params.principal);
    await admin.setMember(req.params.name, principal, req.body.role);
    return memberView({ principal, role: req.body.role });
  });
  app.delete('/projects/:name/members/:principal', { schema: { params: S.MemberParams } }, async (req, reply) => {
    await admin.removeMember(req.params.name, parsePrincipal(req.params.principal));
    return reply.code(204).send();
  });
}
