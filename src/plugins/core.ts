import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { AdminService } from '../admin/service.js';
import { bootstrap, type BootstrapResult } from '../admin/bootstrap.js';
import { Authorizer } from '../auth/authorizer.js';
import { AuthChain } from '../auth/chain.js';
import type { Authenticator } from '../auth/identity.js';
import { IdentityTokens } from '../auth/identity-tokens.js';
import { LocalAuthenticator } from '../auth/local.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import { LdapAuthenticator } from '../backends/ldap/authenticator.js';
import { openStore, type Store } from '../backends/store.js';
import type { Config } from '../config/schema.js';
import { TokenIssuer } from '../token/issuer.js';
import { bundleCertificates } from '../token/keys/bundle.js';
import { loadCertificateFiles, loadSigningKey } from '../token/keys/load.js';
import { TokenSigner } from '../token/signer.js';
import type { X509Certificate } from 'node:crypto';
import type { Metrics } from '../metrics.js';

/** Everything the routes use, built once per app and closed with it. */
export interface Services {
  config: Config;
  store: Store;
  chain: AuthChain;
  issuer: TokenIssuer;
  admin: AdminService;
  signer: TokenSigner;
  /** What the registry's rootcertbundle must hold, and what the JWKS publishes. */
  bundle: X509Certificate[];
  bootstrap: BootstrapResult;
  metrics: Metrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface CoreOptions {
  config: Config;
  metrics: Metrics;
  /** Extra authenticators by name (the LDAP backend registers here). */
  authenticators?: Record<string, (store: Store) => Authenticator>;
}

async function core(app: FastifyInstance, opts: CoreOptions): Promise<void> {
  const { config } = opts;
  const key = await loadSigningKey(config.token.keysDir, config.token.algorithm);
  const bundle = bundleCertificates(key, await loadCertificateFiles(config.token.extraCertificates));
  const store = await openStore(config, { logger: app.log });
  app.addHook('onClose', () => store.close());
  const sweeper = sweepExpiredIdentityTokens(store, app.log);
  app.addHook('onClose', async () => clearInterval(sweeper));

  const { metrics } = opts;
  const hasher = new PasswordHasher({
    cost: config.auth.bcryptCost,
    cacheTtlSeconds: config.auth.cacheTtlSeconds,
    cacheSize: config.auth.cacheSize,
    onCheck: (result) => metrics.passwordChecks.inc({ result }),
  });
  const factories: Record<string, (s: Store) => Authenticator> = {
    local: (s) => new LocalAuthenticator(s.users, hasher),
    ldap: (s) => {
      // config validation guarantees the section when auth.backends lists ldap
      const ldap = new LdapAuthenticator(config.ldap as NonNullable<Config['ldap']>, { users: s.users, logger: app.log });
      app.addHook('onClose', () => ldap.close());
      return ldap;
    },
    ...opts.authenticators,
  };
  const backends = config.auth.backends.map((name) => {
    const make = factories[name];
    if (!make) throw new TypeError(`no authenticator registered for auth.backends entry "${name}"`);
    return make(store);
  });
  const chain = new AuthChain(backends, hasher);
  const signer = new TokenSigner(key, { x5c: config.token.headerX5c, kid: config.token.headerKid });
  const identityTokens = new IdentityTokens(store.refreshTokens, chain, config.identityTokens.ttlSeconds);
  const issuer = new TokenIssuer(
    {
      issuer: config.token.issuer,
      service: config.token.service,
      ttlSeconds: config.token.ttlSeconds,
      allowAnonymous: config.auth.anonymous,
      identityTokens: config.identityTokens.enabled,
    },
    { chain, authorizer: new Authorizer(store.projects), identityTokens, signer },
  );
  const boot = await bootstrap(store, hasher, config.admin);
  app.decorate('services', { config, store, chain, issuer, admin: new AdminService(store, hasher), signer, bundle, bootstrap: boot, metrics });
}

const SWEEP_EVERY_MS = 3_600_000;

/** Expired identity tokens are useless; deleting them hourly keeps the table small. */
function sweepExpiredIdentityTokens(store: Store, log: FastifyInstance['log']): NodeJS.Timeout {
  const timer = setInterval(() => {
    store.refreshTokens.deleteExpired(new Date()).then(
      (n) => n > 0 && log.info({ deleted: n }, 'expired identity tokens deleted'),
      (err: Error) => log.warn({ err: { message: err.message } }, 'could not delete expired identity tokens'),
    );
  }, SWEEP_EVERY_MS);
  timer.unref();
  return timer;
}

export default fp(core, { name: 'portcullis-core', fastify: '5.x' });
