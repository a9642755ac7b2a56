import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { decodeJwt } from './app.js';

/** Query or form parameters; an array repeats the parameter, as clients do with `scope`. */
export type Params = Record<string, string | string[]>;

function encode(params: Params): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) out.append(k, item);
  return out.toString();
}

/** `GET /token?...`, the docker-registry flavour (Basic auth when `authorization` is given). */
export function realmGet(app: FastifyInstance, params: Params, authorization?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: `/token?${encode(params)}`, headers: authorization ? { authorization } : {} });
}

/** `POST /token` with a form body, the OAuth2 flavour (containerd, docker's refresh grant). */
export function realmPost(app: FastifyInstance, form: Params, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: encode(form),
  });
}

export interface Granted {
  body: { token: string; access_token: string; expires_in: number; issued_at: string; refresh_token?: string };
  claims: Record<string, unknown>;
  access: unknown;
}

/** Asserts a 200 token response and returns its body, claims and `access`. */
export function granted(res: LightMyRequestResponse): Granted {
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<Granted['body']>();
  const { claims } = decodeJwt(body.token);
  return { body, claims, access: claims.access };
}

/** Asserts an error response with the registry's JSON shape and returns its first code. */
export function errorCode(res: LightMyRequestResponse, status: number): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<{ errors: { code: string; message: string }[] }>();
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0]?.message).toEqual(expect.any(String));
  return body.errors[0]?.code ?? '';
}
