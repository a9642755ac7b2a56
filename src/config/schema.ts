import { Type, type Static } from '@sinclair/typebox';
import { Obj } from './strict-object.js';
import { LdapSchema, type LdapSettings } from './ldap.js';

export const ConfigSchema = Obj({
  listen: Type.String({ default: '0.0.0.0:5001', pattern: '^(\\[[0-9a-fA-F:]+\\]|[^:]*):\\d{1,5}$' }),
  adminListen: Type.Optional(
    Type.String({
      pattern: '^(\\[[0-9a-fA-F:]+\\]|[^:]*):\\d{1,5}$',
      description: 'host:port serving the admin API (/api/v1) and /metrics, which then answer 404 on listen; unset: both on listen',
    }),
  ),
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'URL the registry and clients reach this service at' })),
  dataDir: Type.String({ default: './data' }),
  database: Obj(
    {
      url: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
      poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
      connectTimeoutMs: Type.Integer({ minimum: 100, default: 3000 }),
      statementTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
      startupWaitSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 30, description: 'how long to wait at start for a database that is not up yet' }),
    },
    { default: {} },
  ),
  token: Obj(
    {
      issuer: Type.String({ minLength: 1, default: 'portcullis' }),
      service: Type.String({ minLength: 1, default: 'registry' }),
      ttlSeconds: Type.Integer({ minimum: 60, maximum: 86_400, default: 300 }),
      algorithm: Type.Union([Type.Literal('ES256'), Type.Literal('RS256')], { default: 'ES256' }),
      keysDir: Type.String({ default: './certs' }),
      headerX5c: Type.Boolean({ default: true }),
      headerKid: Type.Boolean({ default: true }),
      extraCertificates: Type.Array(Type.String(), { default: [], description: 'PEM files whose certificates join the bundle and the JWKS' }),
    },
    { default: {} },
  ),
  identityTokens: Obj(
    {
      enabled: Type.Boolean({ default: false }),
      ttlSeconds: Type.Integer({ minimum: 0, default: 7_776_000, description: '0: never expire' }),
      maxPerUser: Type.Integer({ minimum: 1, default: 50, description: 'live identity tokens per user; the oldest is revoked first' }),
      maxPerClient: Type.Integer({ minimum: 1, default: 10, description: 'live identity tokens per user and client_id' }),
    },
    { default: {} },
  ),
  auth: Obj(
    {
      backends: Type.Array(Type.Union([Type.Literal('local'), Type.Literal('ldap')]), { minItems: 1, default: ['local'] }),
      anonymous: Type.Boolean({ default: true }),
      bcryptCost: Type.Integer({ minimum: 4, maximum: 16, default: 10 }),
      cacheTtlSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 300 }),
      cacheSize: Type.Integer({ minimum: 0, default: 10_000 }),
      passwordCheckConcurrency: Type.Integer({
        minimum: 0,
        maximum: 64,
        default: 0,
        description: 'bcrypt checks at once; 0: one less than the CPUs and two less than the libuv pool, at least 1',
      }),
      passwordCheckQueue: Type.Integer({ minimum: 0, maximum: 10_000, default: 32, description: 'checks that may wait; more get 503 at once' }),
    },
    { default: {} },
  ),
  admin: Obj(
    {
      username: Type.String({ minLength: 1, default: 'admin' }),
      password: Type.Optional(Type.String({ minLength: 1 })),
    },
    { default: {} },
  ),
  limits: Obj(
    {
      maxScopes: Type.Integer({ minimum: 1, default: 64 }),
      maxScopeLength: Type.Integer({ minimum: 16, default: 512 }),
      headersTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'to receive the request line and headers; at most requestTimeoutMs' }),
      requestTimeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'to receive a whole request' }),
      keepAliveTimeoutMs: Type.Integer({ minimum: 100, default: 5_000, description: 'an idle keep-alive connection is closed after this' }),
      idleTimeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'a connection with no traffic either way is destroyed after this' }),
      maxConnectionsPerAddress: Type.Integer({ minimum: 0, default: 64, description: 'open connections from one source address; 0: no cap' }),
      maxConnections: Type.Integer({ minimum: 0, default: 0, description: 'open connections in all; 0: no cap' }),
    },
    { default: {} },
  ),
  ldap: Type.Optional(LdapSchema),
  /** HTTPS for the realm, which receives passwords; both files, or neither (plain HTTP). */
  tls: Obj(
    {
      certFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate chain, leaf first; reloaded when it changes' })),
      keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of the certificate; reloaded with it' })),
    },
    { default: {} },
  ),
  /** Who may read /metrics (it shows versions and login-failure counts). */
  metrics: Obj(
    {
      allowFrom: Type.Array(Type.String(), { default: ['127.0.0.0/8', '::1/128'], description: 'addresses or CIDR ranges served without a token' }),
      bearerToken: Type.Optional(Type.String({ minLength: 16, description: 'Authorization: Bearer TOKEN is served from anywhere' })),
    },
    { default: {} },
  ),
  /** Proxies whose X-Forwarded-For names the client; from anyone else the socket's address counts. */
  trustedProxies: Type.Array(Type.String(), { default: [], description: 'addresses or CIDR ranges of reverse proxies' }),
  throttle: Obj(
    {
      enabled: Type.Boolean({ default: true }),
      addressUserFailures: Type.Integer({ minimum: 1, default: 5, description: 'failed logins of one username from one address before backing off' }),
      addressFailures: Type.Integer({ minimum: 1, default: 30, description: 'failed logins from one address, any usernames, before backing off' }),
      userFailures: Type.Integer({
        minimum: 1,
        default: 100,
        description: 'failed logins of one username from all addresses before its logins are slowed (never refused)',
      }),
      baseSeconds: Type.Integer({ minimum: 1, default: 1, description: 'the first back-off; each further failure doubles it' }),
      maxSeconds: Type.Integer({ minimum: 1, default: 900, description: 'the longest back-off' }),
      userDelayMaxMs: Type.Integer({ minimum: 0, default: 2000, description: 'the longest a login of a much-failed username is slowed' }),
      forgetAfterSeconds: Type.Integer({ minimum: 60, default: 3600, description: 'failures older than this no longer count' }),
    },
    { default: {} },
  ),
  /** Who got which token, who changed what, what the registry did (README "Audit trail"). */
  audit: Obj(
    {
      enabled: Type.Boolean({ default: true }),
      retentionDays: Type.Integer({ minimum: 1, maximum: 36_500, default: 90, description: 'entries older than this are deleted (hourly sweep)' }),
      buffer: Obj(
        {
          flushEveryMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1_000, description: 'waiting entries are written at least this often' }),
          batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 5_000, description: '...and as soon as this many wait' }),
          maxEntries: Type.Integer({
            minimum: 1,
            default: 20_000,
            description: 'entries that may wait while the store is down; more are dropped and counted (portcullis_audit_dropped_total)',
          }),
        },
        { default: {} },
      ),
      events: Obj(
        {
          secret: Type.Optional(Type.String({ minLength: 16, description: "the registry's notifications send Authorization: Bearer SECRET to POST /events" })),
        },
        { default: {} },
      ),
    },
    { default: {} },
  ),
  log: Obj(
    {
      level: Type.Union(
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
        { default: 'info' },
      ),
    },
    { default: {} },
  ),
});

/** The resolved configuration: the schema's type, with `ldap` turned into one of its modes. */
export type Config = Omit<Static<typeof ConfigSchema>, 'ldap'> & { ldap?: LdapSettings };
