/**
 * The requests of test/integration/fuzz.test.ts, as fast-check arbitraries: token requests with
 * random parameters, scopes, credentials and bodies; admin calls shaped like a route with one
 * field off, and admin calls with random methods, paths and JSON. Values stay within what a
 * real HTTP parser would deliver (header values latin1 without CR, LF or NUL).
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ADMIN, ADMIN_AUTH, basic } from './app.js';

/** The password of every account the fuzz creates. */
export const PASSWORD = 'fuzz-password-1';
/** Accounts the fuzz may create, change and delete. The configured admin is kept out of reach. */
const USERS = ['fz-a', 'fz-b', 'Fz-A', 'fz.c@x'];
const PROJECTS = ['fz1', 'fz2', 'library', 'nope'];
const LONG = [257, 513, 1025, 8193, 70_000].map((n) => 'x'.repeat(n));

/** What a real HTTP parser lets through in a header value: latin1, no CR, LF or NUL. */
const headerChar = fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x09 : c));
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });
/** Any code unit at all: lone surrogates, NUL, bidi controls. */
const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('', ' ', '\u0000', '\u202e', 'é', '\ud800', '%', '%zz', '+', '&', '=', ':', '::::', ',', '*', '..', '/', 'a/b/c', 'null'),
  },
  { weight: 1, arbitrary: fc.constantFrom(...LONG) },
);
const nameish = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...USERS, ...PROJECTS) }, { weight: 1, arbitrary: anyText });
const mostly = (names: readonly string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: nameish });

const scopeText = fc
  .record({
    type: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('repository', 'registry', 'Repository', 'repository(plugin)', 'repository(', 'x(y.z)') },
      { weight: 1, arbitrary: anyText },
    ),
    name: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('fz1/app', 'fz2/a/b', 'app', 'library/app', 'nope/x', 'catalog', 'localhost:5000/fz1/app', 'fz1/app:tag') },
      { weight: 2, arbitrary: anyText },
    ),
    actions: fc.oneof(
      { weight: 3, arbitrary: fc.subarray(['pull', 'push', 'delete', '*']).map((a) => a.join(',')) },
      { weight: 1, arbitrary: fc.constantFrom('', ',', ',,pull,', 'junk', 'pull, push', '*,*', 'PULL') },
      { weight: 1, arbitrary: anyText },
    ),
    colons: fc.constantFrom(0, 0, 0, 1, 3),
  })
  .map(({ type, name, actions, colons }) => `${type}:${name}${':'.repeat(colons)}:${actions}`);
const scopeValue = fc.oneof(
  { weight: 4, arbitrary: scopeText },
  { weight: 1, arbitrary: fc.array(scopeText, { maxLength: 70 }).map((s) => s.join(' ')) },
  { weight: 1, arbitrary: anyText },
);

const PARAM_NAMES = ['service', 'scope', 'account', 'client_id', 'offline_token', 'grant_type', 'username', 'password', 'refresh_token', 'access_type'];

/**
 * Realm and admin API requests, from well-formed to garbage; `refreshToken` is a live identity
 * token issued before the storm, so refresh grants reach the store too.
 */
export function fuzzRequests(refreshToken: string) {
  const paramValue = (name: string): fc.Arbitrary<string> => {
    switch (name) {
      case 'service':
        return fc.oneof({ weight: 4, arbitrary: fc.constant('registry') }, { weight: 1, arbitrary: anyText });
      case 'scope':
        return scopeValue;
      case 'offline_token':
      case 'access_type':
        return fc.oneof(fc.constantFrom('true', 'offline', 'false', ''), anyText);
      case 'grant_type':
        return fc.oneof({ weight: 4, arbitrary: fc.constantFrom('password', 'refresh_token') }, { weight: 1, arbitrary: anyText });
      case 'username':
      case 'account':
        return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...USERS, ADMIN.username) }, { weight: 1, arbitrary: anyText });
      case 'password':
        return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(PASSWORD, PASSWORD, ADMIN.password, 'wrong-password') }, { weight: 1, arbitrary: anyText });
      case 'refresh_token':
        return fc.oneof(
          { weight: 3, arbitrary: fc.constant(refreshToken) },
          { weight: 1, arbitrary: fc.constantFrom('pcr_', refreshToken.slice(0, -1), `${refreshToken}x`, refreshToken.toUpperCase()) },
          { weight: 1, arbitrary: fc.base64String({ maxLength: 60 }).map((s) => `pcr_${s}`) },
          { weight: 1, arbitrary: anyText },
        );
      default:
        return anyText;
    }
  };
  const param: fc.Arbitrary<[string, string]> = fc
    .oneof({ weight: 8, arbitrary: fc.constantFrom(...PARAM_NAMES) }, { weight: 1, arbitrary: anyText })
    .chain((name) => paramValue(name).map((value): [string, string] => [name, value]));
  /** A few parameters, some repeated, as clients repeat `scope`. */
  const params = fc.array(param, { maxLength: 8 }).chain((ps) => fc.nat({ max: ps.length }).map((repeats) => [...ps, ...ps.slice(0, repeats)].slice(0, 12)));
  /** A token request's own parameters first, then noise: most requests get past the parsing. */
  const tokenParams = (grant: boolean) =>
    fc
      .record({
        grant: grant ? fc.constantFrom('password', 'refresh_token') : fc.constant(undefined),
        user: fc.constantFrom(...USERS, ADMIN.username),
        password: paramValue('password'),
        refresh: paramValue('refresh_token'),
        scope: fc.array(scopeText, { maxLength: 4 }),
        offline: fc.boolean(),
        rest: params,
      })
      .map(({ grant, user, password, refresh, scope, offline, rest }) => {
        const pairs: [string, string][] = [['service', 'registry']];
        if (grant === 'password') pairs.push(['grant_type', grant], ['username', user], ['password', password]);
        if (grant === 'refresh_token') pairs.push(['grant_type', grant], ['refresh_token', refresh]);
        for (const x of scope) pairs.push(['scope', x]);
        if (offline) pairs.push(grant ? ['access_type', 'offline'] : ['offline_token', 'true']);
        return [...pairs, ...rest.slice(0, 3)];
      });
  const query = (shaped: fc.Arbitrary<[string, string][]>) =>
    fc.oneof({ weight: 8, arbitrary: shaped.map(encode) }, { weight: 2, arbitrary: params.map(encode) }, { weight: 1, arbitrary: rawAscii });

  const tokenGet = fc
    .record({ query: query(tokenParams(false)), auth: authorization, xff: forwardedFor, ip: address })
    .map(({ query, auth, xff, ip }) =>
      withHeaders({ method: 'GET', url: `/token?${query}`, remoteAddress: ip }, { authorization: auth, 'x-forwarded-for': xff }),
    );
  const tokenPost = fc
    .record({
      type: fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/x-www-form-urlencoded') },
        { weight: 2, arbitrary: fc.option(contentType, { nil: undefined }) },
      ),
      body: fc.oneof(
        { weight: 12, arbitrary: tokenParams(true).map(encode) },
        { weight: 2, arbitrary: params.map(encode) },
        { weight: 1, arbitrary: rawAscii },
        { weight: 1, arbitrary: params.map((p) => JSON.stringify(Object.fromEntries(p))) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
        { weight: 1, arbitrary: fc.constantFrom('', '=', '&&&', 'grant_type', `scope=${'x'.repeat(70_000)}`) },
      ),
      query: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: query(params) }),
      auth: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: authorization }),
      xff: forwardedFor,
      ip: address,
    })
    .map(({ type, body, query, auth, xff, ip }) =>
      withHeaders(
        { method: 'POST', url: query === undefined ? '/token' : `/token?${query}`, payload: body, remoteAddress: ip },
        { 'content-type': type, authorization: auth, 'x-forwarded-for': xff },
      ),
    );

  /** One admin route with a body of roughly its shape; `undefined` fields are left out. */
  const adminRoute = fc.oneof(
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/users'),
      body: fc.record({ username: mostly(USERS), password: password(), admin: fc.option(fc.boolean()) }),
    }),
    fc.record({ method: fc.constant('GET'), path: fc.constant('/users'), body: fc.constant(undefined) }),
    fc.record({
      method: fc.constant('PATCH'),
      path: named('/users/:n', USERS),
      body: fc.record({ password: fc.option(password()), admin: fc.option(fc.boolean()), disabled: fc.option(fc.boolean()) }),
    }),
    fc.record({
      method: fc.constant('DELETE'),
      path: fc.oneof(named('/users/:n', USERS), named('/users/:n/identity-tokens', USERS)),
      body: fc.constant(undefined),
    }),
    fc.record({ method: fc.constant('POST'), path: fc.constant('/projects'), body: fc.record({ name: mostly(PROJECTS), public: fc.option(fc.boolean()) }) }),
    fc.record({ method: fc.constant('GET'), path: fc.oneof(fc.constant('/projects'), named('/projects/:n/members', PROJECTS)), body: fc.constant(undefined) }),
    fc.record({ method: fc.constant('PATCH'), path: named('/projects/:n', PROJECTS), body: fc.record({ public: fc.oneof(fc.boolean(), jsonLeaf) }) }),
    fc.record({ method: fc.constant('DELETE'), path: named('/projects/:n', PROJECTS), body: fc.constant(undefined) }),
    fc.record({
      method: fc.constant('PUT'),
      path: named('/projects/:n/members/:p', PROJECTS),
      body: fc.record({ role: fc.constantFrom(...ROLES, 'owner', '', 'Guest') }),
    }),
    fc.record({ method: fc.constant('DELETE'), path: named('/projects/:n/members/:p', PROJECTS), body: fc.constant(undefined) }),
  );
  /** Sometimes one field off: a wrong type, an extra field, a huge or nested value. */
  const adminBody = fc
    .record({ route: adminRoute, off: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(jsonKey, json) }) })
    .map(({ route, off }) => {
      const body = route.body && Object.fromEntries(Object.entries(route.body).filter(([, v]) => v !== null && v !== undefined));
      return { ...route, body: off && route.body ? { ...body, [off[0]]: off[1] } : body };
    });
  const structured = fc
    .record({ call: adminBody, auth: fc.oneof({ weight: 8, arbitrary: fc.constant(ADMIN_AUTH) }, { weight: 1, arbitrary: authorization }), ip: address })
    .map(({ call, auth, ip }) =>
      withHeaders(
        { method: call.method, url: `/api/v1${call.path}`, remoteAddress: ip, ...(call.body === undefined ? {} : { payload: JSON.stringify(call.body) }) },
        { authorization: auth, 'content-type': call.body === undefined ? undefined : 'application/json' },
      ),
    );
  const chaotic = fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
      path: adminPath,
      auth: fc.oneof({ weight: 3, arbitrary: fc.constant(ADMIN_AUTH) }, { weight: 1, arbitrary: authorization }),
      type: fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.option(contentType, { nil: undefined }) }),
      body: fc.oneof(
        { weight: 4, arbitrary: json.map((b) => JSON.stringify(b)) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '',
            '{',
            '{"role":',
            'null',
            '[]',
            '"guest"',
            '{"a":1}{"b":2}',
            '{"__proto__":{"admin":true}}',
            `{"name":"${'x'.repeat(70_000)}"}`,
          ),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)) },
        { weight: 2, arbitrary: fc.constant(undefined) },
      ),
      ip: address,
    })
    .map(({ method, path, auth, type, body, ip }) =>
      withHeaders({ method, url: path, remoteAddress: ip, ...(body === undefined ? {} : { payload: body }) }, { authorization: auth, 'content-type': type }),
    );
  return fc.oneof(
    { weight: 3, arbitrary: tokenGet },
    { weight: 2, arbitrary: tokenPost },
    { weight: 4, arbitrary: structured },
    { weight: 1, arbitrary: chaotic },
  ) as fc.Arbitrary<FuzzRequest>;
}

function encode(pairs: [string, string][]): string {
  // Lone surrogates cannot be percent-encoded: they are sent as U+FFFD, as a browser would.
  return pairs.map(([k, v]) => `${encodeURIComponent(k.toWellFormed())}=${encodeURIComponent(v.toWellFormed())}`).join('&');
}
/** Raw printable ASCII, as a careless client could put on the wire: bad escapes and all. */
const rawAscii = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });

const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  {
    weight: 10,
    arbitrary: fc.constantFrom(...USERS, ADMIN.username).chain((u) => fc.constantFrom(PASSWORD, PASSWORD, ADMIN.password, 'wrong').map((p) => basic(u, p))),
  },
  { weight: 1, arbitrary: fc.tuple(anyText, anyText).map(([u, p]) => basic(u.toWellFormed(), p.toWellFormed())) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 80 }).map((b) => `Basic ${b}`) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Bearer', 'basic', 'BASIC', 'Digest', 'Basic', ''), headerText(60)).map(([s, v]) => `${s} ${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('Basic', 'Basic ', 'Basic =', 'Basic a', `Basic ${'A'.repeat(9000)}`, `Basic ${'QUFB'.repeat(15_000)}`) },
);

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/jsonx',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  ';',
];
const contentType = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: headerText(40) });

/** JSON with the wrong types, extra fields, huge strings and deep nesting. */
const jsonKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('username', 'password', 'admin', 'disabled', 'public', 'name', 'role') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', '') },
  { weight: 1, arbitrary: anyText },
);
const jsonLeaf = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(true, false, null, 0, -1, 1.5, 2 ** 64, 'true', 'guest', 'admin', 'owner', PASSWORD, 'fz-a', 'fz1') },
  { weight: 2, arbitrary: anyText },
  { weight: 1, arbitrary: fc.double() },
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf, tie('object'), tie('array')),
  object: fc.dictionary(jsonKey, tie('json'), { maxKeys: 5 }),
  array: fc.array(tie('json'), { maxLength: 4 }),
}));

const ROLES = ['admin', 'maintainer', 'developer', 'guest', 'limitedGuest'];
const password = () =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(PASSWORD) }, { weight: 1, arbitrary: fc.constantFrom('short', '', 'é'.repeat(40), '\ud800xxxxxxxx') });
const segment = fc.oneof(
  { weight: 6, arbitrary: nameish.map((s) => encodeURIComponent(s.toWellFormed())) },
  { weight: 1, arbitrary: fc.constantFrom('', '%00', '%zz', '%2F', '..', '.', '%ff', 'group:', 'group:fz-a', 'group:%00', encodeURIComponent('group:é')) },
);
/** A route with its `:n` (a user or project) and `:p` (a member) filled in. */
const named = (route: string, names: readonly string[]) =>
  fc
    .record({
      n: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...names) },
        { weight: 1, arbitrary: fc.constantFrom(...USERS, ...PROJECTS) },
        { weight: 1, arbitrary: segment },
      ),
      p: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...USERS, 'group:devs', 'group:') }, { weight: 1, arbitrary: segment }),
    })
    .map(({ n, p }) => route.replace(':n', n).replace(':p', p));
const ADMIN_ROUTES = ['users', 'users/:n', 'users/:n/identity-tokens', 'projects', 'projects/:n', 'projects/:n/members', 'projects/:n/members/:p'];
const adminPath = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom(...ADMIN_ROUTES), segment, segment, fc.constantFrom('', '', '', '/', '//', '?x=1'))
      .map(([route, n, p, tail]) => `/api/v1/${route.replace(':n', n).replace(':p', p)}${tail}`),
  },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((s) => `/api/v1/${s.join('/')}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('/api/v1', '/api/v1/', '/api/v2/users', '/api', '//api/v1/users', '/healthz', '/readyz', '/.well-known/jwks.json', '/metrics'),
  },
);

const address = fc.oneof(fc.constantFrom('127.0.0.1', '::1', '10.0.0.7', '::ffff:10.0.0.8', '192.0.2.1'), fc.ipV4(), fc.ipV6());
/** X-Forwarded-For counts from 127.0.0.0/8 (the app's trusted proxy here). */
const forwardedFor = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.oneof(fc.ipV4(), fc.ipV6(), headerText(60), fc.constantFrom('1.2.3.4, 5.6.7.8', ',', 'unknown', '::ffff:1.2.3.4')) },
);

export type FuzzRequest = InjectOptions & { method: string; url: string; headers: Record<string, string> };

function withHeaders(base: Omit<FuzzRequest, 'headers'>, headers: Record<string, string | undefined>): FuzzRequest {
  const clean = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
  return { ...base, headers: clean };
}

/** The request, long strings shortened, for the failure report. */
export function showRequest(req: FuzzRequest): string {
  return JSON.stringify(req, (_k, v: unknown) => {
    if (Buffer.isBuffer(v)) return `<${v.length} bytes: ${v.toString('base64').slice(0, 80)}>`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')
      return `<bytes ${JSON.stringify((v as { data: number[] }).data.slice(0, 40))}>`;
    if (typeof v === 'string' && v.length > 300) return `${v.slice(0, 120)}…<${v.length} chars>`;
    return v;
  });
}
