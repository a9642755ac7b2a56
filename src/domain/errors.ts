import type { LoginRefusal } from './audit.js';

/** Every failure the service reports has one of these stable codes. */
export type ErrorCode =
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'INVALID_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_SCOPE'
  | 'UNSUPPORTED_GRANT_TYPE'
  | 'INVALID_GRANT'
  | 'UNKNOWN_SERVICE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOOMANYREQUESTS'
  | 'BACKEND_UNAVAILABLE'
  | 'OVERLOADED'
  | 'CONFIG_INVALID'
  | 'INTERNAL';

/**
 * Base class: `code` is what tests and the HTTP layer look at, never the message. Statuses are
 * the HTTP layer's business (routes/errors.ts), so nothing here knows about transports.
 */
export class PortcullisError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class UnauthorizedError extends PortcullisError {
  constructor(message = 'authentication required') {
    super('UNAUTHORIZED', message);
  }
}

export class DeniedError extends PortcullisError {
  constructor(message = 'requested access to the resource is denied') {
    super('DENIED', message);
  }
}

export class InvalidRequestError extends PortcullisError {
  constructor(message: string, code: 'INVALID_REQUEST' | 'INVALID_SCOPE' | 'UNSUPPORTED_GRANT_TYPE' | 'UNKNOWN_SERVICE' = 'INVALID_REQUEST') {
    super(code, message);
  }
}

/** The body is not in the one format the endpoint speaks. */
export class UnsupportedMediaTypeError extends PortcullisError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}

export class InvalidGrantError extends PortcullisError {
  /** Why, for the audit; the client is told only the message. */
  readonly reason: LoginRefusal;

  constructor(message = 'the refresh token is invalid, expired or revoked', reason: LoginRefusal = 'invalid_token') {
    super('INVALID_GRANT', message);
    this.reason = reason;
  }
}

export class NotFoundError extends PortcullisError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ConflictError extends PortcullisError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** A backend (database, directory) could not answer; the request may succeed later. */
export class BackendUnavailableError extends PortcullisError {
  readonly backend: string;

  /**
   * The outage was logged once where it was found (a refused LDAP service account): requests
   * that meet it must not log it again each.
   */
  readonly alreadyLogged: boolean;

  constructor(backend: string, cause?: unknown, opts: { alreadyLogged?: boolean } = {}) {
    super('BACKEND_UNAVAILABLE', `${backend} is unavailable`, { cause });
    this.backend = backend;
    this.alreadyLogged = opts.alreadyLogged ?? false;
  }
}

/** Too many failed logins from here: try again after `retryAfterSeconds` (the registry's code). */
export class ThrottledError extends PortcullisError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('TOOMANYREQUESTS', `too many failed logins; try again in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too much work of one kind is already queued; the caller should retry shortly. */
export class OverloadedError extends PortcullisError {
  readonly resource: string;

  constructor(resource: string) {
    super('OVERLOADED', `too many ${resource} in progress; try again shortly`);
    this.resource = resource;
  }
}

export class ConfigError extends PortcullisError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

export function isPortcullisError(err: unknown): err is PortcullisError {
  return err instanceof PortcullisError;
}
