import { readFileSync } from 'node:fs';
import { Client } from 'ldapts';
import type { LdapSettings } from '../../config/ldap.js';
import type { DirectoryService } from '../../domain/authn.js';
import { ConfigError } from '../../domain/errors.js';
import type { Logger } from '../../domain/logger.js';
import { answers, type ClientFactory, type ConnectSettings } from './connection.js';
import { LdapDirectory } from './directory.js';
import { ServerHealth } from './server-health.js';

export interface OpenDirectoryOptions {
  logger?: Logger;
  /** Tests wrap this to count or fail connections. */
  createClient?: ClientFactory;
  /** How often a failed server is probed; tests shorten it. */
  probeEveryMs?: number;
  /** How often a refused service account is tried again; tests shorten it. */
  recheckEveryMs?: number;
}

/** The directory client for the settings; reads the CA file once, here. */
export function openDirectory(s: LdapSettings, opts: OpenDirectoryOptions = {}): DirectoryService {
  let ca: Buffer | undefined;
  try {
    ca = s.caFile === undefined ? undefined : readFileSync(s.caFile);
  } catch (err) {
    throw new ConfigError(`ldap.caFile: cannot read ${s.caFile}: ${(err as Error).message}`);
  }
  const plain = s.startTls ? [] : s.urls.filter((u) => u.startsWith('ldap://'));
  if (plain.length > 0) opts.logger?.warn({ urls: plain }, 'LDAP passwords will cross the network unencrypted: use ldaps:// or ldap.startTls');
  const settings: ConnectSettings = {
    urls: s.urls,
    startTls: s.startTls,
    tls: { ca, rejectUnauthorized: s.tlsVerify },
    connectTimeoutMs: s.connectTimeoutMs,
    timeoutMs: s.timeoutMs,
    createClient: opts.createClient ?? ((o) => new Client(o)),
    health: new ServerHealth((url) => answers(settings, url), opts.probeEveryMs),
  };
  return new LdapDirectory(s, settings, opts.logger, { recheckEveryMs: opts.recheckEveryMs });
}
