import type { Dispatcher } from 'undici';

export interface ClientOptions {
  url: string;
  user: string;
  /** The password, or how to get it (asked on the terminal) when the first request needs it. */
  password: string | (() => Promise<string>);
  /** Names the setting the URL came from in error messages (`--url`, `PORTCULLIS_URL`). */
  urlSource?: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * The service URL as given, with a scheme. A bare `host:port` is refused rather than guessed:
 * plain http:// to a service that speaks TLS would send the password in clear text.
 */
export function serviceUrl(raw: string, source = '--url'): string {
  const trimmed = raw.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(trimmed)) {
    const bare = trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    throw new Error(`${source} "${raw}" needs http:// or https://: use http://${bare} (or https://${bare} if the service has tls configured)`);
  }
  try {
    new URL(trimmed);
  } catch {
    throw new Error(`${source} "${raw}" is not a valid URL`);
  }
  return trimmed;
}

/** Talks to /api/v1 with Basic auth; turns the registry error shape back into a message. */
export class AdminClient {
  readonly #url: string;
  readonly #base: string;
  readonly #user: string;
  #password: string | (() => Promise<string>);

  constructor(opts: ClientOptions) {
    this.#url = serviceUrl(opts.url, opts.urlSource);
    this.#base = `${this.#url}/api/v1`;
    this.#user = opts.user;
    this.#password = opts.password;
  }

  /** Who the requests log in as. */
  get user(): string {
    return this.#user;
  }

  /** Settles the password now (asking on the terminal if need be), before other questions. */
  async login(): Promise<void> {
    if (typeof this.#password === 'function') this.#password = await this.#password();
  }

  async call<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
    await this.login();
    const auth = `Basic ${Buffer.from(`${this.#user}:${this.#password as string}`).toString('base64')}`;
    let res: Dispatcher.ResponseData;
    try {
      // Loaded on first use: `serve` shares this module graph and never calls the API.
      const { request } = await import('undici');
      res = await request(this.#base + path, {
        method,
        headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
    } catch (err) {
      throw new Error(`cannot reach ${this.#base}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new Error(this.#failure(res.statusCode, method, path, text));
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${this.#url} answered ${method} ${path} with something that is not JSON: is it a Portcullis service?`);
    }
  }

  #failure(status: number, method: Method, path: string, text: string): string {
    const messages = registryErrors(text);
    if (!messages) {
      // Every answer of Portcullis, 404s included, has the registry's error shape.
      return status === 404
        ? `${this.#url} is not a Portcullis service (${method} /api/v1${path} answered 404 without Portcullis's error body): check --url or PORTCULLIS_URL`
        : `${status}: ${text.slice(0, 200)}`;
    }
    const message = messages.join('; ');
    if (status === 404 && message.startsWith('no route for'))
      return `${this.#url} has no such route (${message}): check the URL's path, or this Portcullis is older than the CLI`;
    if (status === 401) return `401: ${message} (logging in as ${this.#user})`;
    return `${status}: ${message}`;
  }
}

function registryErrors(text: string): string[] | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { message?: unknown }[] };
    if (!Array.isArray(body.errors)) return undefined;
    return body.errors.map((e) => String(e.message));
  } catch {
    return undefined;
  }
}

export const seg = (s: string): string => encodeURIComponent(s);
