/**
 * A seeded storm of malformed realm and admin API requests: every answer must be JSON with a
 * status below 500. The seed makes a failure reproducible; the count keeps it to seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, basic, buildTestApp, type TestApp } from '../helpers/app.js';

const SEED = 0x5eed;
const COUNT = 1500;

/** mulberry32: small, fast, and the same sequence on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'scope',
  'service',
  'account',
  'client_id',
  'offline_token',
  'grant_type',
  'username',
  'password',
  'refresh_token',
  'access_type',
  '%00',
  '%ff',
  '%',
  '&',
  '=',
  ':',
  ',',
  '*',
  '(',
  ')',
  'repository',
  'registry',
  'a/b',
  ' ',
  '+',
  '%20',
  'é',
  '\u202e',
  'true',
  'offline',
  'pcr_',
  'library',
  'x'.repeat(600),
];
const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data', undefined];
const ADMIN_PATHS = ['/api/v1/users', '/api/v1/projects', '/api/v1/users/', '/api/v1/projects/library/members/', '/api/v1/projects/'];

describe('malformed input never gets a 500 or a non-JSON answer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it(`${COUNT} seeded requests (seed ${SEED})`, async () => {
    const random = rng(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const junk = (n: number) => Array.from({ length: n }, () => pick(PIECES)).join('');
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const failures: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const headers: Record<string, string> = {};
      const r = random();
      if (r < 0.25) headers.authorization = `Basic ${bytes(Math.floor(random() * 40)).toString('base64')}`;
      else if (r < 0.35) headers.authorization = `${pick(PIECES)} ${pick(PIECES)}`;
      else if (r < 0.5) headers.authorization = basic(junk(2), junk(2));
      else if (r < 0.6) headers.authorization = ADMIN_AUTH;
      const kind = random();
      const method = kind < 0.4 ? 'GET' : kind < 0.8 ? 'POST' : pick(['PATCH', 'PUT', 'DELETE', 'POST'] as const);
      const url = kind < 0.8 ? `/token?${junk(6)}` : `${pick(ADMIN_PATHS)}${encodeURIComponent(junk(2))}`;
      const contentType = method === 'GET' ? undefined : pick(CONTENT_TYPES);
      if (contentType) headers['content-type'] = contentType;
      const payload = method === 'GET' || method === 'DELETE' ? undefined : random() < 0.5 ? junk(6) : bytes(60);
      const res = await t.app.inject({ method, url, headers, payload });
      const json = String(res.headers['content-type'] ?? '').includes('application/json') || res.statusCode === 204;
      if (res.statusCode >= 500 || !json) failures.push(`#${i} ${method} ${url} -> ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
  });
});
