import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, buildTestApp, type TestApp } from '../helpers/app.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  parameters?: { in: string; name: string }[];
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  security: unknown[];
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Fastify's `/users/:name` as OpenAPI writes it: `/users/{name}`. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('GET /api/v1/openapi.json', () => {
  let t: TestApp;
  /** Every route under /api/v1 as Fastify registered it, one entry per method. */
  const routes: { method: string; url: string; access: unknown }[] = [];
  let doc: Document;

  beforeAll(async () => {
    const onRoute = (route: RouteOptions) => {
      if (!route.url.startsWith('/api/v1')) return;
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: route.config?.access });
    };
    t = await buildTestApp({}, { onRoute });
    const res = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json<Document>();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is public, and an OpenAPI 3.1 document of the API with Basic auth', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Portcullis API', version: 'v1' });
    expect(doc.components.securitySchemes).toEqual({ basic: { type: 'http', scheme: 'basic' } });
    expect(doc.security).toEqual([{ basic: [] }]);
    // Only /api/v1: the realm and the health routes are not part of this API.
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/v1/'))).toBe(true);
  });

  it('describes every route registered under /api/v1, each method with its schema', () => {
    // Fastify adds a HEAD route beside each GET; the document leaves those out.
    const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
    const described = routes.filter((r) => !(r.method === 'HEAD' && gets.has(r.url)));
    expect(described.length).toBeGreaterThanOrEqual(15);
    for (const { method, url, access } of described) {
      const where = `${method} ${url}`;
      const op = doc.paths[openapiPath(url)]?.[method.toLowerCase()];
      expect(op, `${where} is missing from the document`).toBeDefined();
      if (!op) continue;
      expect(op.summary, `${where} has no summary`).toEqual(expect.any(String));
      expect(op.tags?.length, `${where} has no tags`).toBeGreaterThan(0);
      // A route without a response schema gets @fastify/swagger's placeholder "Default Response".
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect(success.length, `${where} declares no success response`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${where} ${status}`).not.toBe('Default Response');
      }
      if (BODY_METHODS.has(method)) expect(op.requestBody?.content['application/json']?.schema, `${where} has no body schema`).toBeDefined();
      for (const param of url.match(/:\w+/g) ?? []) {
        expect(op.parameters, `${where} does not describe ${param}`).toContainEqual(expect.objectContaining({ in: 'path', name: param.slice(1) }));
      }
      if (access === 'public') {
        expect(op.security, where).toEqual([]);
      } else {
        expect(Object.keys(op.responses), `${where} errors`).toEqual(expect.arrayContaining(['401', '429', '503']));
        if (access !== 'user') expect(Object.keys(op.responses), `${where} is admin-only`).toContain('403');
      }
    }
  });

  it('documents the error shape and the self-service routes', () => {
    const change = doc.paths['/api/v1/me/password']?.put;
    expect(change?.responses['403']?.description).toMatch(/oldPassword/);
    expect(change?.responses['409']?.description).toMatch(/directory/);
    expect(change?.responses['401']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Error).toMatchObject({
      type: 'object',
      properties: { errors: { type: 'array', items: { properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
    });
    expect(change?.requestBody?.content['application/json']?.schema).toMatchObject({
      required: ['oldPassword', 'newPassword'],
      additionalProperties: false,
    });
    expect(doc.paths['/api/v1/users/{name}']?.delete?.responses['204']).toEqual({ description: 'deleted' });
  });

  it('has no $ref that points nowhere', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]*)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas, ref).toHaveProperty([ref.split('/').pop() as string]);
    }
  });

  it('is served without credentials while every other route keeps asking for them', async () => {
    const withCredentials = await t.app.inject({ url: '/api/v1/openapi.json', headers: { authorization: ADMIN_AUTH } });
    expect(withCredentials.json()).toEqual(doc);
    for (const { method, url, access } of routes) {
      if (access === 'public' || method === 'HEAD') continue;
      const res = await t.app.inject({ method: method as 'GET', url: url.replace(/:\w+/g, 'x'), ...(BODY_METHODS.has(method) ? { payload: {} } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });
});
