import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { ConfigError } from './domain/errors.js';

/** How often the certificate files are looked at for a renewal (cert-manager, certbot). */
const WATCH_EVERY_MS = 2_000;

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair: the key must be the certificate's, or nothing is served. */
export function readTlsFiles(tls: Config['tls']): TlsFiles | undefined {
  if (!tls.certFile || !tls.keyFile) return undefined;
  let files: TlsFiles;
  try {
    files = { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  } catch (err) {
    throw new ConfigError(`tls: cannot read ${(err as NodeJS.ErrnoException).path ?? 'a file'}: ${(err as Error).message}`);
  }
  try {
    if (!new X509Certificate(files.cert).checkPrivateKey(createPrivateKey(files.key))) throw new Error('the key does not belong to the certificate');
  } catch (err) {
    throw new ConfigError(`tls.certFile/tls.keyFile: ${(err as Error).message}`);
  }
  return files;
}

/**
 * Serves renewed certificate files without a restart: when either file changes, the pair is
 * read again and, if it still matches, new connections get it. A half-written renewal (the
 * key not yet the certificate's) keeps the old pair and is tried again on the next change.
 */
export function reloadTlsOnChange(app: FastifyInstance, tls: Config['tls']): void {
  const { certFile, keyFile } = tls;
  if (!certFile || !keyFile) return;
  const reload = () => {
    try {
      const files = readTlsFiles(tls);
      if (!files) return;
      for (const server of [app.server, app.adminListener?.server]) (server as unknown as HttpsServer | undefined)?.setSecureContext(files);
      app.log.info({ certFile }, 'TLS certificate reloaded');
    } catch (err) {
      app.log.warn({ certFile, reason: (err as Error).message }, 'TLS certificate files changed but could not be used; keeping the previous ones');
    }
  };
  for (const file of [certFile, keyFile]) watchFile(file, { interval: WATCH_EVERY_MS, persistent: false }, reload);
  app.addHook('onClose', async () => {
    for (const file of [certFile, keyFile]) unwatchFile(file, reload);
  });
}

const LOOPBACK = /^(127\.|::1$|localhost$|::ffff:127\.)/;

/** Plain HTTP on an address others can reach means passwords cross the network in clear. */
export function warnIfPlainHttpOffLoopback(app: FastifyInstance, config: Config, host: string): void {
  if (config.tls.certFile || LOOPBACK.test(host)) return;
  app.log.warn(
    { listen: config.listen },
    'serving plain HTTP on a non-loopback address: passwords cross the network in clear; set tls.certFile and tls.keyFile, or terminate TLS in a proxy in front',
  );
}
