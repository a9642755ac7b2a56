/**
 * The ceiling: what one token costs with the same libraries and nothing else. Fastify, a Basic
 * header parse, an HMAC looked up in a Map (a credential-cache hit), the registry's claims and
 * an ES256 signature; no store, no permissions (every requested action is granted). Run in its
 * own process by ceiling-process.ts, configured through CEILING_* variables.
 */
import { createHash, createHmac, createPrivateKey, randomBytes, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import { importPKCS8, SignJWT } from 'jose';

interface Access {
  type: string;
  name: string;
  actions: string[];
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new TypeError(`${name} is required`);
  return value;
}

const macKey = randomBytes(32);
const macOf = (username: string, password: string): string =>
  createHmac('sha256', macKey).update(username).update('\u0000').update(password).update('\u0000').digest('base64url');

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (header === undefined || !header.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** type:name:actions, where the name may hold colons (host:port/...). */
function parseScope(raw: string): Access | undefined {
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return { type: raw.slice(0, first), name: raw.slice(first + 1, last), actions: raw.slice(last + 1).split(',') };
}

/** Returns a function that signs a claim set as a compact JWS with the key in keysDir. */
async function signerFor(kind: 'jose' | 'node', keysDir: string): Promise<(claims: Record<string, unknown>) => Promise<string> | string> {
  const pem = await readFile(join(keysDir, 'token.key'), 'utf8');
  const cert = new X509Certificate(await readFile(join(keysDir, 'token.crt'), 'utf8'));
  // Same header size as Portcullis's: the certificate in x5c and a kid as long as a libtrust one.
  const kid = (createHash('sha256').update(cert.raw).digest('hex').toUpperCase().slice(0, 48).match(/.{4}/g) ?? []).join(':');
  const header = { alg: 'ES256', typ: 'JWT', x5c: [cert.raw.toString('base64')], kid };
  if (kind === 'jose') {
    const key = await importPKCS8(pem, 'ES256');
    return (claims) => new SignJWT(claims).setProtectedHeader(header).sign(key);
  }
  const key = createPrivateKey(pem);
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  return (claims) => {
    const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
}

const TokenResponse = {
  type: 'object',
  properties: { token: { type: 'string' }, access_token: { type: 'string' }, expires_in: { type: 'integer' }, issued_at: { type: 'string' } },
} as const;

const ErrorResponse = {
  type: 'object',
  properties: { errors: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
} as const;

async function main(): Promise<void> {
  const signer = env('CEILING_SIGNER');
  if (signer !== 'jose' && signer !== 'node') throw new TypeError(`CEILING_SIGNER must be jose or node, not "${signer}"`);
  const signToken = await signerFor(signer, env('CEILING_KEYS_DIR'));
  const service = env('CEILING_SERVICE');
  const known = new Map([[macOf(env('CEILING_USER'), env('CEILING_PASSWORD')), env('CEILING_USER')]]);
  const ttl = 300;

  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/token', { schema: { response: { 200: TokenResponse, 401: ErrorResponse } } }, async (request, reply) => {
    const creds = parseBasic(request.headers.authorization);
    const subject = creds && known.get(macOf(creds.username, creds.password));
    if (subject === undefined) return reply.code(401).send({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    const query = request.query as Record<string, string | string[] | undefined>;
    const scopes = query.scope === undefined ? [] : ([] as string[]).concat(query.scope);
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'portcullis',
      sub: subject,
      aud: service,
      exp: iat + ttl,
      nbf: iat,
      iat,
      jti: randomUUID(),
      access: scopes.map(parseScope).filter((a) => a !== undefined),
    };
    const token = await signToken(claims);
    reply.header('Cache-Control', 'no-store');
    return { token, access_token: token, expires_in: ttl, issued_at: new Date(iat * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  });
  await app.listen({ host: '127.0.0.1', port: Number(env('CEILING_PORT')) });
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
