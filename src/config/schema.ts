import { Type, type Static, type TProperties, type ObjectOptions } from '@sinclair/typebox';

/** Objects refuse unknown keys so a misspelt option is an error, not a silent default. */
const Obj = <T extends TProperties>(props: T, opts: ObjectOptions = {}) => Type.Object(props, { additionalProperties: false, ...opts });

/** See docs/ldap.md for what each option does and examples for OpenLDAP and Active Directory. */
const LdapSchema = Obj({
  urls: Type.Array(Type.String({ pattern: '^ldaps?://' }), { minItems: 1, description: 'tried in order; the next on connection failure' }),
  startTls: Type.Boolean({ default: false, description: 'upgrade ldap:// connections with StartTLS' }),
  caFile: Type.Optional(Type.String({ description: 'PEM CA bundle for ldaps:// and StartTLS; default: the system CAs' })),
  tlsVerify: Type.Boolean({ default: true }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 2000 }),
  timeoutMs: Type.Integer({ minimum: 100, default: 3000, description: 'per LDAP operation' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, default: 8000, description: 'all directory work of one login' }),
  bindDnTemplate: Type.Optional(Type.String({ description: 'direct bind, e.g. uid={username},ou=people,dc=example,dc=org' })),
  search: Type.Optional(Obj({
    bindDn: Type.Optional(Type.String({ description: 'service account; without it searches run as the user after the bind' })),
    bindPassword: Type.Optional(Type.String()),
    baseDn: Type.String(),
    filter: Type.String({ default: '(&(objectClass=inetOrgPerson)(uid={username}))' }),
  })),
  usernameAttribute: Type.String({ default: 'uid' }),
  groups: Obj({
    source: Type.Union([Type.Literal('memberOf'), Type.Literal('search'), Type.Literal('none')], { default: 'memberOf' }),
    baseDn: Type.Optional(Type.String()),
    filter: Type.String({ default: '(|(member={dn})(uniqueMember={dn})(memberUid={username}))' }),
    nestedFilter: Type.String({ default: '(|(member={dn})(uniqueMember={dn}))' }),
    nameAttribute: Type.String({ default: 'cn' }),
    nestedDepth: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
  }, { default: {} }),
  adminGroups: Type.Array(Type.String(), { default: [] }),
  poolSize: Type.Integer({ minimum: 1, maximum: 32, default: 4 }),
  cacheTtlSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 60 }),
  cacheSize: Type.Integer({ minimum: 0, default: 10_000 }),
});

export const ConfigSchema = Obj({
  listen: Type.String({ default: '0.0.0.0:5001', pattern: '^(\\[[0-9a-fA-F:]+\\]|[^:]*):\\d{1,5}$' }),
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'URL the registry and clients reach this service at' })),
  dataDir: Type.String({ default: './data' }),
  database: Obj({
    url: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    connectTimeoutMs: Type.Integer({ minimum: 100, default: 3000 }),
    statementTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
  }, { default: {} }),
  token: Obj({
    issuer: Type.String({ minLength: 1, default: 'portcullis' }),
    service: Type.String({ minLength: 1, default: 'registry' }),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 86_400, default: 300 }),
    algorithm: Type.Union([Type.Literal('ES256'), Type.Literal('RS256')], { default: 'ES256' }),
    keysDir: Type.String({ default: './certs' }),
    headerX5c: Type.Boolean({ default: true }),
    headerKid: Type.Boolean({ default: true }),
    extraCertificates: Type.Array(Type.String(), { default: [], description: 'PEM files whose certificates join the bundle and the JWKS' }),
  }, { default: {} }),
  identityTokens: Obj({
    enabled: Type.Boolean({ default: false }),
    ttlSeconds: Type.Integer({ minimum: 0, default: 7_776_000, description: '0: never expire' }),
  }, { default: {} }),
  auth: Obj({
    backends: Type.Array(Type.Union([Type.Literal('local'), Type.Literal('ldap')]), { minItems: 1, default: ['local'] }),
    anonymous: Type.Boolean({ default: true }),
    bcryptCost: Type.Integer({ minimum: 4, maximum: 16, default: 10 }),
    cacheTtlSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 300 }),
    cacheSize: Type.Integer({ minimum: 0, default: 10_000 }),
  }, { default: {} }),
  admin: Obj({
    username: Type.String({ minLength: 1, default: 'admin' }),
    password: Type.Optional(Type.String({ minLength: 1 })),
  }, { default: {} }),
  limits: Obj({
    maxScopes: Type.Integer({ minimum: 1, default: 64 }),
    maxScopeLength: Type.Integer({ minimum: 16, default: 512 }),
  }, { default: {} }),
  ldap: Type.Optional(LdapSchema),
  log: Obj({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  }, { default: {} }),
});

export type Config = Static<typeof ConfigSchema>;
export type LdapConfig = Static<typeof LdapSchema>;
