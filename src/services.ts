/**
 * The composition root: the one module that knows every concrete class. It opens the store,
 * builds the authenticators, the realm, the admin and self-service rules, and hands back what
 * the HTTP layer (or a CLI command) uses, with one `close` for all of it.
 */
import { availableParallelism } from 'node:os';
import { bootstrap, type BootstrapResult } from './admin/bootstrap.js';
import { Explainer } from './admin/explain.js';
import { RobotService } from './admin/robots.js';
import { AccessTokenService } from './admin/access-tokens.js';
import { ProjectAdmins } from './admin/delegation.js';
import { SelfService } from './admin/self-service.js';
import { AuditTrail } from './audit/trail.js';
import { AdminService } from './admin/service.js';
import { Authorizer } from './auth/authorizer.js';
import { AuthChain } from './auth/chain.js';
import { IdentityTokens } from './auth/identity-tokens.js';
import { LdapAuthenticator } from './auth/ldap.js';
import { LocalAuthenticator } from './auth/local.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { UsageRecorder } from './auth/usage-recorder.js';
import { AccessTokenAuthenticator } from './auth/access-tokens.js';
import { RobotAuthenticator } from './auth/robots.js';
import { PasswordHasher, type PasswordCheck } from './auth/password-hasher.js';
import { NicedBcryptWorkers } from './backends/bcrypt/niced-workers.js';
import { openStore } from './backends/store.js';
import type { Config } from './config/schema.js';
import type { Authenticator, DirectoryService } from './domain/authn.js';
import type { Logger } from './domain/logger.js';
import type { Store } from './domain/repositories.js';
import { Realm } from './realm/realm.js';
import { KeyAgreement } from './token/keys/agreement.js';
import { KeyRing } from './token/keys/ring.js';
import { watchKeysDir } from './token/keys/watch.js';

export interface Services {
  config: Config;
  store: Store;
  chain: AuthChain;
  realm: Realm;
  admin: AdminService;
  /** What any authenticated user may see and change of their own account (/api/v1/me). */
  self: SelfService;
  /** The keys tokens are signed with and the bundle and JWKS publish; reloaded on SIGHUP and on change. */
  keys: KeyRing;
  /** Whether the other replicas on the store publish the key this one signs with. */
  keyAgreement: KeyAgreement;
  bootstrap: BootstrapResult;
  robots: RobotService;
  /** Robot logins gathered in memory until the next flush. */
  robotUsage: UsageRecorder;
  /** Personal access token logins, likewise. */
  accessTokenUsage: UsageRecorder;
  accessTokens: AccessTokenService;
  /** Who may manage a project's members and robots. */
  projectAdmins: ProjectAdmins;
  /** Why the service is not ready beyond its store (a refused LDAP service account, a key the other replicas do not publish); empty when it is. */
  notReady(): string[];
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
  /** How often a refused LDAP service account is tried again (tests shorten it). */
  ldapRecheckEveryMs?: number;
}

const SWEEP_EVERY_MS = 3_600_000;

export async function createServices(config: Config, deps: ServiceDeps = {}): Promise<{ services: Services; close: () => Promise<void> }> {
  const { logger } = deps;
  const keys = await KeyRing.open({
    dir: config.token.keysDir,
    algorithm: config.token.algorithm,
    header: { x5c: config.token.headerX5c, kid: config.token.headerKid },
    extraCertificateFiles: config.token.extraCertificates,
    logger,
  });
  const store = await openStore({ database: config.database, dataDir: config.dataDir, logger });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const stopWatching = watchKeysDir(keys, config.token.keysDir, logger);
    closers.push(async () => stopWatching());
    const keyAgreement = new KeyAgreement(store.signingKeys, keys, { logger });
    await keyAgreement.start();
    closers.push(() => keyAgreement.close());
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
    const directory = await openCheckedDirectory(config, deps);
    if (directory) closers.push(() => directory.close());
    const builtIn: Record<string, AuthenticatorFactory> = {
      local: (s) => new LocalAuthenticator(s.users, hasher, logger),
      ldap: (s) => ldapAuthenticator(config, s, directory, logger),
    };
    const backends = config.auth.backends.map((name) => {
      const make = deps.authenticators?.[name] ?? builtIn[name];
      if (!make) throw new TypeError(`no authenticator registered for auth.backends entry "${name}"`);
      const backend = make(store);
      if (backend.close) closers.push(() => backend.close?.() ?? Promise.resolve());
      return backend;
    });
    // Robots come first and answer only for robot$ names: no configuration can put a directory
    // in front of them. Personal access tokens next: they answer only for a token they know, and
    // resolve its owner through the backend that owns the owner.
    const pats = new AccessTokenAuthenticator(store.accessTokens, store.users, (user) => chain.refresh(user), logger);
    const chain: AuthChain = new AuthChain([new RobotAuthenticator(store.robots, logger), pats, ...backends], hasher);
    const robotUsage = new UsageRecorder(store.robots, 'robot logins', logger);
    closers.push(() => robotUsage.close());
    const accessTokenUsage = new UsageRecorder(store.accessTokens, 'personal access token uses', logger);
    closers.push(() => accessTokenUsage.close());
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
        signer: keys,
        throttle,
        robotUsage,
        accessTokenUsage,
        // Off, the realm does not even build the entries.
        ...(audit.enabled ? { audit } : {}),
        logger,
      },
    );
    const boot = await bootstrap(store, hasher, config.admin);
    const lookAlikes = await store.users.lookAlikes();
    if (lookAlikes.length > 0) logger?.warn({ lookAlikes }, 'usernames that differ only in case exist; they are kept, and new ones are refused');
    const sweeper = sweepHourly(store, throttle, logger);
    closers.push(async () => clearInterval(sweeper));
    const admin = new AdminService(store, hasher, directory);
    const self = new SelfService(store.users, admin, (address, username, password) => realm.authenticatePassword(address, username, password));
    const notReady = () => [directory?.serviceAccountProblem(), keyAgreement.problem].filter((r): r is string => r !== undefined && r !== null);
    const services: Services = {
      config,
      store,
      chain,
      realm,
      admin,
      self,
      keys,
      keyAgreement,
      bootstrap: boot,
      robots: new RobotService(store),
      robotUsage,
      accessTokenUsage,
      accessTokens: new AccessTokenService(store),
      projectAdmins: new ProjectAdmins(store.projects),
      notReady,
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

function ldapAuthenticator(config: Config, store: Store, directory: DirectoryService | undefined, logger: Logger | undefined): Authenticator {
  // resolveConfig refuses auth.backends listing ldap without an ldap section.
  if (!config.ldap || !directory) throw new TypeError('auth.backends lists ldap but there is no ldap section');
  return new LdapAuthenticator(directory, store.users, config.ldap, logger);
}

/**
 * The directory of an `ldap` backend, its service account bound once before the service
 * serves: a wrong password is found (and logged, and reported by /readyz) now, not at the first
 * login. A directory that does not answer is logged and does not hold the start up.
 */
async function openCheckedDirectory(config: Config, deps: ServiceDeps): Promise<DirectoryService | undefined> {
  const { ldap } = config;
  if (!ldap || !config.auth.backends.includes('ldap')) return undefined;
  // Loaded only here: a service without LDAP never loads the LDAP client.
  const { openDirectory } = await import('./backends/ldap/index.js');
  const directory = openDirectory(ldap, { logger: deps.logger, recheckEveryMs: deps.ldapRecheckEveryMs });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the LDAP directory did not answer within ${ldap.requestTimeoutMs} ms`), ldap.requestTimeoutMs);
  });
  const problem = await Promise.race([directory.checkServiceAccount(), late]).finally(() => clearTimeout(timer));
  // A refusal was logged as an error where it was found; an outage is only a warning here.
  if (problem && !directory.serviceAccountProblem()) deps.logger?.warn({ urls: ldap.urls }, `${problem}; directory logins get 503 until it answers`);
  return directory;
}

/**
 * The directory alone, for `portcullis ldap test`: the same client the service builds, its
 * service account not checked (the command reports each step itself).
 */
export async function openDirectoryFor(config: Config): Promise<DirectoryService> {
  if (!config.ldap) throw new TypeError('the configuration has no ldap section');
  const { openDirectory } = await import('./backends/ldap/index.js');
  return openDirectory(config.ldap);
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
  const store = await openOfflineStore(config);
  const hasher = new PasswordHasher({ cost: config.auth.bcryptCost, cacheTtlSeconds: 0, cacheSize: 0, concurrency: 1, maxWaiting: 0 });
  return { admin: new AdminService(store, hasher), close: () => store.close() };
}

/**
 * The store alone, for commands that read it directly (`portcullis ldap test`). On the embedded
 * store the data-directory lock refuses while `serve` runs.
 */
export function openOfflineStore(config: Config): Promise<Store> {
  return openStore({ database: config.database, dataDir: config.dataDir });
}
