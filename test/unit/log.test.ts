import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { pino, type LoggerOptions } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, redactUrl } from '../../src/routes/logging.js';
import { Secret } from '../../src/domain/secret.js';

const SECRET = 'hunter2-s3cret';
const BASIC = `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`;

/** A logger writing JSON lines into an array. */
function capture(): { lines: string[]; stream: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe('redactUrl', () => {
  it.each([
    ['/token?account=alice&password=pw&service=r', '/token?account=alice&password=***&service=r'],
    ['/token?refresh_token=pcr_abc', '/token?refresh_token=***'],
    ['/token?service=r&access_token=eyJ.x.y', '/token?service=r&access_token=***'],
    ['/token?token=eyJ.x.y&x=1', '/token?token=***&x=1'],
    ['/token?client_secret=s', '/token?client_secret=***'],
    ['/token?PASSWORD=pw', '/token?PASSWORD=***'],
    ['/token?password=', '/token?password=***'],
    ['/token?password=a&password=b', '/token?password=***&password=***'],
    ['/token?account=password&scope=repository:a:pull', '/token?account=password&scope=repository:a:pull'],
    ['/token?mypassword=x', '/token?mypassword=x'],
    ['/v2/', '/v2/'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('loggerOptions', () => {
  it.each<[string, Record<string, unknown>]>([
    ['Authorization header', { headers: { authorization: BASIC } }],
    ['request headers', { req: { method: 'GET', url: '/token', headers: { authorization: BASIC } } }],
    ['password field', { user: 'alice', password: SECRET }],
    ['nested password', { body: { username: 'alice', password: SECRET } }],
    ['token field', { token: SECRET }],
    ['refresh_token field', { refresh_token: SECRET }],
    ['access_token field', { access_token: SECRET }],
    ['nested refresh_token', { form: { grant_type: 'refresh_token', refresh_token: SECRET } }],
    ['secret in the URL', { req: { method: 'GET', url: `/token?password=${SECRET}` } }],
    ['a Secret object', { credentials: { username: 'alice', secret: new Secret(SECRET) } }],
  ])('never prints a secret: %s', (_, obj) => {
    const { lines, stream } = capture();
    const log = pino(loggerOptions('info') as LoggerOptions, stream);
    log.info(obj, 'marker');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('marker');
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain(BASIC.slice(6));
  });

  it('keeps what is not secret', () => {
    const { lines, stream } = capture();
    pino(loggerOptions('info') as LoggerOptions, stream).info({ user: 'alice', password: SECRET, req: { method: 'GET', url: '/token?service=r' } }, 'm');
    expect(JSON.parse(lines[0]!)).toMatchObject({ user: 'alice', password: '***', req: { method: 'GET', url: '/token?service=r' } });
  });

  it('honours the level', () => {
    const { lines, stream } = capture();
    const log = pino(loggerOptions('warn') as LoggerOptions, stream);
    log.info({}, 'quiet');
    log.warn({}, 'loud');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['loud']);
  });

  it('a Fastify app logging whole requests leaks neither the header nor form passwords', async () => {
    const { lines, stream } = capture();
    const app = Fastify({ logger: { ...(loggerOptions('info') as object), stream } });
    await app.register(formbody);
    app.post('/token', async (request) => {
      request.log.info({ headers: request.headers, body: request.body }, 'seen');
      return {};
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: `/token?password=${SECRET}`,
        headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=password&username=alice&password=${SECRET}`,
      });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    expect(lines.some((l) => l.includes('"seen"') && l.includes('alice'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(BASIC.slice(6));
    }
  });
});
