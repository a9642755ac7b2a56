import { Type, type Static } from '@sinclair/typebox';
import { ConfigError } from '../domain/errors.js';
import { checkFilter, escapeDnValue, fillTemplate } from './ldap-templates.js';
import { Obj } from './strict-object.js';

/** See docs/ldap.md for what each option does and examples for OpenLDAP and Active Directory. */
export const LdapSchema = Obj({
  urls: Type.Array(Type.String({ pattern: '^ldaps?://' }), { minItems: 1, description: 'tried in order; the next on connection failure' }),
  startTls: Type.Boolean({ default: false, description: 'upgrade ldap:// connections with StartTLS' }),
  caFile: Type.Optional(Type.String({ description: 'PEM CA bundle for ldaps:// and StartTLS; default: the system CAs' })),
  tlsVerify: Type.Boolean({ default: true }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 2000 }),
  timeoutMs: Type.Integer({ minimum: 100, default: 3000, description: 'per LDAP operation' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, default: 8000, description: 'all directory work of one login' }),
  bindDnTemplate: Type.Optional(Type.String({ description: 'direct bind, e.g. uid={username},ou=people,dc=example,dc=org' })),
  search: Type.Optional(
    Obj({
      bindDn: Type.Optional(Type.String({ description: 'service account; without it searches run as the user after the bind' })),
      bindPassword: Type.Optional(Type.String()),
      baseDn: Type.String(),
      filter: Type.String({ default: '(&(objectClass=inetOrgPerson)(uid={username}))' }),
    }),
  ),
  usernameAttribute: Type.String({ default: 'uid' }),
  groups: Obj(
    {
      source: Type.Union([Type.Literal('memberOf'), Type.Literal('search'), Type.Literal('none')], { default: 'memberOf' }),
      baseDn: Type.Optional(Type.String()),
      filter: Type.String({ default: '(|(member={dn})(uniqueMember={dn})(memberUid={username}))' }),
      nestedFilter: Type.String({ default: '(|(member={dn})(uniqueMember={dn}))' }),
      nameAttribute: Type.String({ default: 'cn' }),
      nestedDepth: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
    },
    { default: {} },
  ),
  adminGroups: Type.Array(Type.String(), { default: [] }),
  poolSize: Type.Integer({ minimum: 1, maximum: 32, default: 4 }),
  cacheTtlSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 60 }),
  cacheSize: Type.Integer({ minimum: 0, default: 10_000 }),
});

/** The file's `ldap` section as written, defaults applied. */
export type LdapInput = Static<typeof LdapSchema>;

/** The directory's service account: it searches for users and reads their groups. */
export interface ServiceAccount {
  dn: string;
  password: string;
}

export interface UserSearch {
  baseDn: string;
  filter: string;
}

/**
 * How a login finds and checks the user. `search`: the service account finds the user's DN,
 * then the user binds to it. `bind`: the DN comes from a template, the user binds to it, and
 * `entry` says how the user's entry (spelling, memberOf) is read afterwards.
 */
export type LdapMode = { kind: 'search'; account: ServiceAccount; search: UserSearch } | { kind: 'bind'; dnTemplate: string; entry: EntryRead };

export type EntryRead =
  /** A search, with the service account when there is one, else on the user's own connection. */
  | { kind: 'search'; search: UserSearch; account?: ServiceAccount }
  /** The bound DN itself, on the user's own connection. */
  | { kind: 'dn' }
  /** Nothing to read: the template is not a DN (`{username}@corp`) and groups are off. */
  | { kind: 'none' };

export type GroupSettings =
  | { source: 'none' }
  | { source: 'memberOf'; nestedDepth: number }
  | { source: 'search'; baseDn: string; filter: string; nestedFilter: string; nameAttribute: string; nestedDepth: number };

/** The `ldap` section once resolved: every combination the code meets is one of these shapes. */
export interface LdapSettings {
  urls: string[];
  startTls: boolean;
  caFile?: string;
  tlsVerify: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  requestTimeoutMs: number;
  mode: LdapMode;
  usernameAttribute: string;
  groups: GroupSettings;
  adminGroups: string[];
  poolSize: number;
  cacheTtlSeconds: number;
  cacheSize: number;
}

const SAMPLE = { username: 'sample', dn: 'cn=sample' };

/** The service account a search or a group lookup runs as, when one is configured. */
export function serviceAccountOf(mode: LdapMode): ServiceAccount | undefined {
  return mode.kind === 'search' ? mode.account : mode.entry.kind === 'search' ? mode.entry.account : undefined;
}

/** Turns the file's keys into one of the modes, checking every template; errors name the key. */
export function resolveLdap(raw: LdapInput): LdapSettings {
  const { bindDnTemplate, search: rawSearch, groups: rawGroups, ...rest } = raw;
  if (rawSearch && (rawSearch.bindDn === undefined) !== (rawSearch.bindPassword === undefined)) {
    throw new ConfigError('ldap.search.bindDn and ldap.search.bindPassword go together');
  }
  const account = rawSearch?.bindDn !== undefined ? { dn: rawSearch.bindDn, password: rawSearch.bindPassword ?? '' } : undefined;
  const search = rawSearch && { baseDn: rawSearch.baseDn, filter: rawSearch.filter };
  if (search) checkFilter('ldap.search.filter', search.filter, { username: SAMPLE.username });
  const groups = resolveGroups(rawGroups);
  let mode: LdapMode;
  if (bindDnTemplate === undefined) {
    if (!account || !search) throw new ConfigError('ldap.bindDnTemplate or ldap.search.bindDn (a service account to search with) is required');
    mode = { kind: 'search', account, search };
  } else {
    try {
      fillTemplate(bindDnTemplate, { username: SAMPLE.username }, escapeDnValue);
    } catch (err) {
      throw new ConfigError(`ldap.bindDnTemplate: ${(err as Error).message}`);
    }
    mode = { kind: 'bind', dnTemplate: bindDnTemplate, entry: entryRead(bindDnTemplate, search, account, groups) };
  }
  const settings: LdapSettings = { ...rest, mode, groups };
  if (raw.caFile === undefined) delete settings.caFile;
  return settings;
}

function entryRead(template: string, search: UserSearch | undefined, account: ServiceAccount | undefined, groups: GroupSettings): EntryRead {
  if (search) return account ? { kind: 'search', search, account } : { kind: 'search', search };
  if (template.includes('=')) return { kind: 'dn' };
  if (groups.source !== 'none') throw new ConfigError('ldap.search (baseDn, filter) is required to read groups when ldap.bindDnTemplate is not a DN');
  return { kind: 'none' };
}

function resolveGroups(g: LdapInput['groups']): GroupSettings {
  if (g.source === 'none') return { source: 'none' };
  if (g.source === 'memberOf') return { source: 'memberOf', nestedDepth: g.nestedDepth };
  if (!g.baseDn) throw new ConfigError('ldap.groups.baseDn is required when ldap.groups.source is search');
  checkFilter('ldap.groups.filter', g.filter, SAMPLE);
  if (g.nestedDepth > 0) checkFilter('ldap.groups.nestedFilter', g.nestedFilter, { dn: SAMPLE.dn });
  return { source: 'search', baseDn: g.baseDn, filter: g.filter, nestedFilter: g.nestedFilter, nameAttribute: g.nameAttribute, nestedDepth: g.nestedDepth };
}
