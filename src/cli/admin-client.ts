import type { Dispatcher } from 'undici';

export interface ClientOptions {
  url: string;
  user: string;
  password: string;
}

/** Talks to /api/v1 with Basic auth; turns the registry error shape back into a message. */
export class AdminClient {
  readonly #base: string;
  readonly #auth: string;

  constructor(opts: ClientOptions) {
    this.#base = `${opts.url.replace(/\/$/, '')}/api/v1`;
    this.#auth = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
  }

  async call<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Dispatcher.ResponseData;
    try {
      // Loaded on first use: `serve` shares this module graph and never calls the API.
      const { request } = await import('undici');
      res = await request(this.#base + path, {
        method,
        headers: { authorization: this.#auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
    } catch (err) {
      throw new Error(`cannot reach ${this.#base}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new Error(`${res.statusCode}: ${errorMessage(text)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { message?: string }[] };
    return body.errors?.map((e) => e.message).join('; ') || text;
  } catch {
    return text.slice(0, 200);
  }
}

export const seg = (s: string): string => encodeURIComponent(s);
