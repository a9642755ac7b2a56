import { InvalidRequestError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';
import type { Credentials, TokenRequest } from '../realm/realm.js';
import { parseScopes, type ScopeLimits } from '../token/scope.js';
import { parseBasicAuth } from './basic-auth.js';

type Params = Record<string, string | string[] | undefined>;

/** A parameter that must appear at most once. */
function single(params: Params, name: string): string | undefined {
  const v = params[name];
  if (Array.isArray(v)) {
    if (new Set(v).size > 1) throw new InvalidRequestError(`parameter "${name}" given more than once`);
    return v[0];
  }
  return v;
}

function many(params: Params, name: string): string[] {
  const v = params[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function required(params: Params, name: string, grant: string): string {
  const v = single(params, name);
  if (v === undefined || v === '') throw new InvalidRequestError(`grant_type=${grant} requires "${name}"`);
  return v;
}

/** GET: the docker-registry form, credentials in Basic auth. */
export function fromQuery(query: Params, authorization: string | undefined, defaultService: string, limits: ScopeLimits, address = ''): TokenRequest {
  const basic = parseBasicAuth(authorization);
  const credentials: Credentials = basic ? { kind: 'password', ...basic } : { kind: 'anonymous' };
  return {
    service: single(query, 'service') || defaultService,
    scopes: parseScopes(many(query, 'scope'), limits),
    credentials,
    account: single(query, 'account'),
    offline: single(query, 'offline_token') === 'true',
    clientId: single(query, 'client_id') ?? '',
    address,
  };
}

/** POST: the OAuth2 form (password and refresh_token grants). */
export function fromForm(form: Params, defaultService: string, limits: ScopeLimits, address = ''): TokenRequest {
  const grant = single(form, 'grant_type');
  let credentials: Credentials;
  if (grant === 'password') {
    credentials = { kind: 'password', username: required(form, 'username', grant), password: new Secret(required(form, 'password', grant)) };
  } else if (grant === 'refresh_token') {
    credentials = { kind: 'refresh', token: new Secret(required(form, 'refresh_token', grant)) };
  } else if (grant === undefined || grant === '') {
    throw new InvalidRequestError('"grant_type" is required');
  } else {
    throw new InvalidRequestError(`unsupported grant_type "${grant.slice(0, 40)}"`, 'UNSUPPORTED_GRANT_TYPE');
  }
  return {
    service: single(form, 'service') || defaultService,
    scopes: parseScopes(many(form, 'scope'), limits),
    credentials,
    offline: single(form, 'access_type') === 'offline',
    clientId: single(form, 'client_id') ?? '',
    address,
  };
}
