import type { Command } from 'commander';
import { AdminClient } from './admin-client.js';
import { terminal } from './prompt.js';

interface Conn {
  url?: string;
  user?: string;
  adminPassword?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:5001';

/** What the connection options read, for the help of every command that uses them. */
export const CONNECTION_ENV = ['PORTCULLIS_URL', 'PORTCULLIS_USER', 'PORTCULLIS_PASSWORD'] as const;

/**
 * The API client of the global connection options. The password is --admin-password,
 * PORTCULLIS_PASSWORD, `fallbackPassword` (passwd has just been given it), or else asked on the
 * terminal, without echo, when the first request needs it.
 */
export function client(cmd: Command, opts: { whose?: string; fallbackPassword?: string } = {}): AdminClient {
  const o = cmd.optsWithGlobals<Conn>();
  const user = o.user ?? process.env.PORTCULLIS_USER ?? 'admin';
  const url = o.url ?? process.env.PORTCULLIS_URL ?? DEFAULT_URL;
  const given = (o.adminPassword ?? process.env.PORTCULLIS_PASSWORD) || opts.fallbackPassword;
  const ask = async () => {
    if (!terminal().available) throw new Error(`${opts.whose ?? 'admin'} password needed: set PORTCULLIS_PASSWORD or pass --admin-password`);
    const [password] = await terminal().hidden(`Password of ${user} at ${url}: `);
    if (!password) throw new Error('empty password');
    return password;
  };
  return new AdminClient({ url, user, password: given ?? ask, urlSource: o.url === undefined && process.env.PORTCULLIS_URL ? 'PORTCULLIS_URL' : '--url' });
}
