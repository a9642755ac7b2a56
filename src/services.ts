/**
 * The composition root: the one module that knows every concrete class. It opens the store,
 * builds the authenticators, the realm, the admin and self-service rules, and hands back what
 * the HTTP layer (or a CLI command) uses, with one `close` for all of it.
 */
import type { X509Certificate } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { bootstrap, type BootstrapResult } from './admin/bootstrap.js';
import { Explainer } from './admin/explain.js';
import { RobotService } from './admin/robots.js';
import { SelfService } from './admin/self-service.js';
import { AuditTrail } from './audit/trail.js';
import { AdminService } from './admin/service.js';
import { Authorizer } from './auth/authorizer.js';
import { AuthChain } from './auth/chain.js';
import { IdentityTokens } from './auth/identity-tokens.js';
import { LdapAuthenticator } from './auth/ldap.js';
import { LocalAuthenticator } from './auth/local.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { RobotUsage } from './auth/robot-usage.js';
import { RobotAuthenticator } from './auth/robots.js';
import { PasswordHasher, type PasswordCheck } from './auth/password-hasher.js';
import { NicedBcryptWorkers } from './backends/bcrypt/niced-workers.js';
import { openDirectory } from './backends/ldap/index.js';
import { openStore } from './backends/store.js';
import type { Config } from './config/schema.js';
import type { Authenticator } from './domain/authn.js';
import type { Logger } from './domain/logger.js';
import type { Store } from './domain/repositories.js';
import { Realm } from './realm/realm.js';
import { bundleCertificates } from './token/keys/bundle.js';
import { loadCertificateFiles, loadSigningKey } from './token/keys/load.js';
import { TokenSigner } from './token/signer.js';

export interface Services {
  config: Config;
  store: Store;
  chain: AuthChain;
  realm: Realm;
  admin: AdminService;
  /** What any authenticated user may see and change of their own account (/api/v1/me). */
  self: SelfService;
  /** What the registry's rootcertbundle must hold, and what the JWKS publishes. */
  bundle: X509Certificate[];
  bootstrap: BootstrapResult;
  robots: RobotService;
  /** Robot logins gathered in memory until the next flush. */
  robotUsage: RobotUsage;
  /** Token requests, admin changes and registry events, written in batches. */
  audit: AuditTrail;
  /** What a token would hold for an account, and the rule behind each action. */
  explainer: Explainer;
}

/** Builds an authenticator for an `auth.backends` entry; tests swap in their own. */
export type AuthenticatorFactory = (store: Store) => Authenticator;

export interface ServiceDeps {
  logger?: Logger;
  /** Told the result of every password check (metrics). */
  onPasswordCheck?: (result: PasswordCheck) => void;
  /** Replaces the built-in authenticator of that name. */
  authenticators?: Record<string, AuthenticatorFactory>;
  /** Told of audit entries dropped because the buffer was full (metrics). */
  onAuditDrop?: (count: number) => void;
}

const SWEEP_EVERY_MS = 3_600_000;

export async function createServices(config: Config, deps: ServiceDeps = {}): Promise<{ services: Services; close: () => Promise<void> }> {
  const { logger } = deps;
  const key = await loadSigningKey(config.token.keysDir, config.token.algorithm);
  const bundle = bundleCertificates(key, await loadCertificateFiles(config.token.extraCertificates));
  const store = await openStore({ database: config.database, dataDir: config.dataDir, logger });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const concurrency = config.auth.passwordCheckConcurrency || defaultPasswordCheckConcurrency();
    const bcrypt = new NicedBcryptWorkers(concurrency);
    closers.push(() => bcrypt.close());
    const hasher = new PasswordHasher({
      engine: bcrypt,
      cost: config.auth.bcryptCost,
      cacheTtlSeconds: config.auth.cacheTtlSeconds,
      cacheSize: config.auth.cacheSize,
      concurrency,
      maxWaiting: config.auth.passwordCheckQueue,
      onCheck: deps.onPasswordCheck,
    });
    const builtIn: Record<string, AuthenticatorFactory> = {
      local: (s) => new LocalAuthenticator(s.users, hasher),
      ldap: (s) => ldapAuthenticator(config, s, logger),
    };
    const backends = config.auth.backends.map((name) => {
      const make = deps.authenticators?.[name] ?? builtIn[name];
      if (!make) throw new TypeError(`no authenticator registered for auth.backends entry "${name}"`);
      const backend = make(store);
      if (backend.close) closers.push(() => backend.close?.() ?? Promise.resolve());
      return backend;
    });
    // Robots come first and answer only for robot$ names: no configuration can put a directory
    // in front of them.
    const chain = new AuthChain([new RobotAuthenticator(store.robots, logger), ...backends], hasher);
    const robotUsage = new RobotUsage(store.robots, logger);
    closers.push(() => robotUsage.close());
    const throttle = new LoginThrottle(store.loginFailures, config.throttle);
    const audit = new AuditTrail(store.audit, config.audit, { logger, onDrop: deps.onAuditDrop });
    closers.push(() => audit.close());
    const identityTokens = new IdentityTokens(store.refreshTokens, chain, config.identityTokens.ttlSeconds, {
      perUser: config.identityTokens.maxPerUser,
      perClient: config.identityTokens.maxPerClient,
    });
    const authorizer = new Authorizer(store.projects);
    const realm = new Realm(
      {
        issuer: config.token.issuer,
        service: config.token.service,
        ttlSeconds: config.token.ttlSeconds,
        allowAnonymous: config.auth.anonymous,
        identityTokens: config.identityTokens.enabled,
      },
      {
        chain,
        authorizer,
        identityTokens,
        signer: new TokenSigner(key, { x5c: config.token.headerX5c, kid: config.token.headerKid }),
        throttle,
        robotUsage,
        audit,
        logger,
      },
    );
    const boot = await bootstrap(store, hasher, config.admin);
    const lookAlikes = await store.users.lookAlikes();
    if (lookAlikes.length > 0) logger?.warn({ lookAlikes }, 'usernames that differ only in case exist; they are kept, and new ones are refused');
    const sweeper = sweepHourly(store, throttle, logger);
    closers.push(async () => clearInterval(sweeper));
    const admin = new AdminService(store, hasher);
    const self = new SelfService(store.users, admin, (address, username, password) => realm.authenticatePassword(address, username, password));
    const services: Services = {
      config,
      store,
      chain,
      realm,
      admin,
      self,
      bundle,
      bootstrap: boot,
      robots: new RobotService(store),
      robotUsage,
      audit,
      explainer: new Explainer(store, chain, authorizer),
    };
    return { services, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * One less than the CPUs (the event loop keeps one), and two threads fewer than libuv's pool,
 * which token signing uses too: a password storm never makes a signature wait.
 */
function defaultPasswordCheckConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(availableParallelism() - 1, pool - 2));
}

function ldapAuthenticator(config: Config, store: Store, logger: Logger | undefined): Authenticator {
  const { ldap } = config;
  // resolveConfig refuses auth.backends listing ldap without an ldap section.
  if (!ldap) throw new TypeError('auth.backends lists ldap but there is no ldap section');
  return new LdapAuthenticator(openDirectory(ldap, { logger }), store.users, ldap);
}

/** Expired identity tokens and forgotten login failures are useless; deleting them hourly keeps the tables small. */
function sweepHourly(store: Store, throttle: LoginThrottle, logger: Logger | undefined): NodeJS.Timeout {
  const timer = setInterval(() => {
    store.refreshTokens.deleteExpired(new Date()).then(
      (n) => n > 0 && logger?.info({ deleted: n }, 'expired identity tokens deleted'),
      (err: Error) => logger?.warn({ err: { message: err.message } }, 'could not delete expired identity tokens'),
    );
    throttle.sweep().catch((err: Error) => logger?.warn({ err: { message: err.message } }, 'could not delete old login failures'));
  }, SWEEP_EVERY_MS);
  timer.unref();
  return timer;
}

/**
 * The admin rules on the store alone, for commands that run with the service stopped (a lost
 * admin password). On the embedded store the data-directory lock refuses while `serve` runs.
 */
export async function createOfflineAdmin(config: Config): Promise<{ admin: AdminService; close: () => Promise<void> }> {
  const store = await openStore({ database: config.database, dataDir: config.dataDir });
  const hasher = new PasswordHasher({ cost: config.auth.bcryptCost, cacheTtlSeconds: 0, cacheSize: 0, concurrency: 1, maxWaiting: 0 });
  return { admin: new AdminService(store, hasher), close: () => store.close() };
}
