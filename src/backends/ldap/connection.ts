import type { ConnectionOptions } from 'node:tls';
import { BusyError, type Client, ResultCodeError, UnavailableError, type ClientOptions, type Entry, type SearchOptions } from 'ldapts';
import { BackendUnavailableError } from '../../domain/errors.js';
import type { ServerHealth } from './server-health.js';

export type ClientFactory = (options: ClientOptions) => Client;

export interface ConnectSettings {
  urls: readonly string[];
  startTls: boolean;
  /** ca and rejectUnauthorized, for ldaps:// and StartTLS alike. */
  tls: ConnectionOptions;
  connectTimeoutMs: number;
  timeoutMs: number;
  createClient: ClientFactory;
  /** Servers that failed are skipped until a probe finds them answering. */
  health: ServerHealth;
}

/** Runs one search on an open connection; resolves to its entries. */
export type Search = (base: string, options: SearchOptions) => Promise<Entry[]>;

/**
 * The server's own verdict on a request (invalid credentials, no such object...): another
 * server would say the same. Busy and unavailable are not verdicts: they say "ask elsewhere".
 */
export function isDirectoryAnswer(err: unknown): err is ResultCodeError {
  return err instanceof ResultCodeError && !(err instanceof BusyError || err instanceof UnavailableError);
}

export function unavailable(message: string, cause?: unknown): BackendUnavailableError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new BackendUnavailableError('ldap', new Error(`${message}${detail}`, { cause }));
}

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');

function clientOptions(s: ConnectSettings, url: string): ClientOptions {
  // ldapts switches to implicit TLS whenever tlsOptions is set, so ldap:// (plain or StartTLS)
  // must not get them here.
  const tlsOptions = url.startsWith('ldaps://') ? s.tls : undefined;
  return { url, connectTimeout: s.connectTimeoutMs, timeout: s.timeoutMs, tlsOptions };
}

/**
 * Connects to the first server that answers, in URL order, and binds. Connection failures,
 * timeouts, TLS failures and busy servers move on to the next URL; the bind's verdict (such as
 * invalid credentials) is thrown as is, since every server shares the same directory.
 */
export async function openBound(s: ConnectSettings, dn: string, password: string): Promise<Client> {
  const urls = s.health.order(s.urls);
  let last: unknown;
  for (const url of urls) {
    const client = s.createClient(clientOptions(s, url));
    try {
      if (s.startTls && url.startsWith('ldap://')) await client.startTLS({ ...s.tls, host: hostOf(url) });
      await client.bind(dn, password);
      return client;
    } catch (err) {
      closeQuietly(client);
      if (isDirectoryAnswer(err)) throw err;
      s.health.failed(url);
      last = err;
    }
  }
  throw unavailable(`no LDAP server answered (${urls.join(', ')})`, last);
}

/**
 * Whether a server answers LDAP at all: a base search of the root DSE, whose refusal is an
 * answer too. A TCP accept alone proves nothing (a hung server accepts and stays silent).
 */
export async function answers(s: ConnectSettings, url: string): Promise<boolean> {
  const client = s.createClient(clientOptions(s, url));
  try {
    if (s.startTls && url.startsWith('ldap://')) await client.startTLS({ ...s.tls, host: hostOf(url) });
    await client.search('', { scope: 'base', attributes: ['supportedLDAPVersion'] });
    return true;
  } catch (err) {
    return isDirectoryAnswer(err);
  } finally {
    closeQuietly(client);
  }
}

export function closeQuietly(client: Client): void {
  client.unbind().catch(() => undefined);
}

/**
 * Searches on a connection that must still be bound: ldapts silently reconnects a dropped
 * connection, unauthenticated and without StartTLS, which must never happen under us.
 */
export function searcher(client: Client): Search {
  return async (base, options) => {
    if (!client.isBound) throw unavailable('LDAP connection lost');
    return (await client.search(base, options)).searchEntries;
  };
}

/** An attribute's values as strings, whatever case the server spelt the attribute name in. */
export function attrValues(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? [] : entry[key];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}
