import { InvalidRequestError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

const MAX_HEADER = 8192;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface BasicCredentials {
  username: string;
  password: Secret;
}

/** Parses `Authorization: Basic ...`; undefined when absent, 400 when malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined || header === '') return undefined;
  if (header.length > MAX_HEADER) throw new InvalidRequestError('Authorization header too large');
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') throw new InvalidRequestError(`unsupported authorization scheme "${scheme.slice(0, 20)}": use Basic`);
  const encoded = header.slice(space + 1).trim();
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) throw new InvalidRequestError('malformed Basic credentials: not base64');
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw new InvalidRequestError('malformed Basic credentials: not UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new InvalidRequestError('malformed Basic credentials: no ":" between user and password');
  return { username: decoded.slice(0, colon), password: new Secret(decoded.slice(colon + 1)) };
}
