import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from './app.js';
import { splitListen } from './config/load.js';
import type { Config } from './config/schema.js';
import { reloadTlsOnChange, warnIfPlainHttpOffLoopback } from './tls.js';
import { signingKeyExists } from './token/keys/load.js';
import { ensureBundle } from './token/keys/rotation-files.js';

/** Starts the service: keys on first start, then the app, then listening; stops on SIGTERM/SIGINT. */
export async function startServer(config: Config, opts: AppOptions = {}): Promise<FastifyInstance> {
  // What the service creates (store, keys, the initdb child, which inherits it) is for its own
  // user only. PGlite's own chmods get past this: the store repairs those itself.
  process.umask(0o077);
  const createdKeys = !(await signingKeyExists(config.token.keysDir));
  // Loaded only on the first start: the certificate library costs every later start 50 ms.
  if (createdKeys) await (await import('./token/keys/generate.js')).generateSigningKey({ dir: config.token.keysDir, algorithm: config.token.algorithm });
  const wroteBundle = createdKeys ? false : await ensureBundle(config.token.keysDir).catch((err: Error) => err);
  const app = await buildApp(config, opts);
  if (wroteBundle instanceof Error) {
    app.log.warn(
      { dir: config.token.keysDir, reason: wroteBundle.message },
      'could not write bundle.pem into the keys directory; the registry can use token.crt until the first rotation',
    );
  } else if (wroteBundle) {
    app.log.info({ dir: config.token.keysDir }, 'wrote bundle.pem beside token.crt: point the registry rootcertbundle at it before rotating keys');
  }
  if (createdKeys) app.log.info({ dir: config.token.keysDir, algorithm: config.token.algorithm }, 'generated a token signing key and certificate');
  const boot = app.services.bootstrap;
  if (boot.generatedPassword) {
    // Printed once, to the terminal and not the log stream, so it is never shipped with logs.
    process.stderr.write(
      `\nportcullis: created system admin "${config.admin.username}" with password: ${boot.generatedPassword.reveal()}\n` +
        'portcullis: store it now; it is not shown again (set PORTCULLIS_ADMIN_PASSWORD to choose it).\n\n',
    );
  }
  const [host, port] = splitListen(config.listen);
  reloadTlsOnChange(app, config.tls);
  reloadKeysOnSighup(app);
  await app.listen({ host, port });
  if (app.adminListener) app.log.info({ url: await app.adminListener.listen() }, 'admin API and /metrics listening here only (adminListen)');
  warnIfPlainHttpOffLoopback(app, config, host);
  const stop = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  return app;
}

/**
 * Keys are also watched; SIGHUP is for directories a watch does not see change (some network
 * and container volume mounts). Registered before listening: hooks cannot be added after.
 */
function reloadKeysOnSighup(app: FastifyInstance): void {
  const reloadKeys = () => void app.services.keys.reload('SIGHUP');
  process.on('SIGHUP', reloadKeys);
  app.addHook('onClose', async () => {
    process.removeListener('SIGHUP', reloadKeys);
  });
}
