import { readFile } from 'node:fs/promises';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import type { Static, TSchema } from '@sinclair/typebox';
import { isIP } from 'node:net';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { ConfigError } from '../domain/errors.js';
import { resolveLdap } from './ldap.js';
import { ConfigSchema, type Config } from './schema.js';
import { closest } from './suggest.js';

type Env = Record<string, string | undefined>;

/**
 * Environment variables and the config key each one sets. `within`: applied only when the
 * config has that section (a secret for an optional backend).
 */
const ENV_KEYS: Record<string, { path: string[]; kind: 'string' | 'int' | 'bool'; within?: string }> = {
  PORTCULLIS_LISTEN: { path: ['listen'], kind: 'string' },
  PORTCULLIS_ADMIN_LISTEN: { path: ['adminListen'], kind: 'string' },
  PORTCULLIS_PUBLIC_URL: { path: ['publicUrl'], kind: 'string' },
  PORTCULLIS_DATA_DIR: { path: ['dataDir'], kind: 'string' },
  PORTCULLIS_DATABASE_URL: { path: ['database', 'url'], kind: 'string' },
  PORTCULLIS_KEYS_DIR: { path: ['token', 'keysDir'], kind: 'string' },
  PORTCULLIS_SERVICE: { path: ['token', 'service'], kind: 'string' },
  PORTCULLIS_ISSUER: { path: ['token', 'issuer'], kind: 'string' },
  PORTCULLIS_TOKEN_TTL: { path: ['token', 'ttlSeconds'], kind: 'int' },
  PORTCULLIS_TOKEN_ALGORITHM: { path: ['token', 'algorithm'], kind: 'string' },
  PORTCULLIS_IDENTITY_TOKENS: { path: ['identityTokens', 'enabled'], kind: 'bool' },
  PORTCULLIS_ADMIN_PASSWORD: { path: ['admin', 'password'], kind: 'string' },
  PORTCULLIS_LOG_LEVEL: { path: ['log', 'level'], kind: 'string' },
  PORTCULLIS_METRICS_TOKEN: { path: ['metrics', 'bearerToken'], kind: 'string' },
  PORTCULLIS_AUDIT: { path: ['audit', 'enabled'], kind: 'bool' },
  PORTCULLIS_AUDIT_RETENTION_DAYS: { path: ['audit', 'retentionDays'], kind: 'int' },
  PORTCULLIS_EVENTS_SECRET: { path: ['audit', 'events', 'secret'], kind: 'string' },
  // Keeps the directory service account's password out of the config file.
  PORTCULLIS_LDAP_BIND_PASSWORD: { path: ['ldap', 'search', 'bindPassword'], kind: 'string', within: 'ldap' },
};

/** Each variable and the key it sets, for the CLI's help. */
export const CONFIG_ENV: readonly { name: string; key: string }[] = Object.entries(ENV_KEYS).map(([name, e]) => ({ name, key: e.path.join('.') }));

function envValue(name: string, raw: string, kind: 'string' | 'int' | 'bool'): unknown {
  if (kind === 'string') return raw;
  if (kind === 'int') {
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
    return Number(raw);
  }
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function keyOf(pointer: string): string {
  return pointer.replace(/^\//, '').split('/').join('.') || '(root)';
}

/** Keys the schema does not know, anywhere in the tree, each with the nearest known key. */
function unknownKeys(schema: TSchema, value: unknown, path: string[] = []): string[] {
  if (schema.type !== 'object' || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const props = (schema.properties ?? {}) as Record<string, TSchema>;
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key].join('.');
    const spec = props[key];
    if (spec) {
      out.push(...unknownKeys(spec, child, [...path, key]));
      continue;
    }
    const near = closest(key, Object.keys(props));
    out.push(`${at} is not a known option${near ? ` (did you mean ${[...path, near].join('.')}?)` : ''}`);
  }
  return out;
}

/** Every schema violation at once, one line per key: a user fixes a config in one round. */
function schemaErrors(value: unknown): string[] {
  const lines = unknownKeys(ConfigSchema, value);
  const seen = new Set<string>();
  for (const e of Value.Errors(ConfigSchema, value)) {
    if (e.type === ValueErrorType.ObjectAdditionalProperties) continue;
    const key = keyOf(e.path);
    if (seen.has(key) || [...seen].some((k) => key.startsWith(`${k}.`))) continue;
    seen.add(key);
    lines.push(`${key} ${e.value === undefined ? 'is required' : `is invalid: ${e.message}`}`);
  }
  return lines;
}

/** Applies defaults and validates; every error names the offending key, all of them at once. */
export function resolveConfig(raw: unknown, env: Env = {}): Config {
  const base = (raw ?? {}) as Record<string, unknown>;
  if (typeof base !== 'object' || Array.isArray(base)) throw new ConfigError('the configuration must be a YAML mapping');
  const merged = structuredClone(base);
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '' || (spec.within && merged[spec.within] === undefined)) continue;
    setPath(merged, spec.path, envValue(name, value, spec.kind));
  }
  const withDefaults = Value.Default(ConfigSchema, merged);
  const errors = schemaErrors(withDefaults);
  if (errors.length > 0) throw new ConfigError(errors.join('\n'));
  const { ldap, ...rest } = withDefaults as Static<typeof ConfigSchema>;
  const badAddresses = [
    ...rest.trustedProxies.filter((e) => !isAddressOrRange(e)).map((e) => `trustedProxies: "${e}" is not an address or CIDR range`),
    ...rest.metrics.allowFrom.filter((e) => !isAddressOrRange(e)).map((e) => `metrics.allowFrom: "${e}" is not an address or CIDR range`),
  ];
  if (badAddresses.length > 0) throw new ConfigError(badAddresses.join('\n'));
  if ((rest.tls.certFile === undefined) !== (rest.tls.keyFile === undefined)) throw new ConfigError('tls.certFile and tls.keyFile go together');
  if (rest.auth.backends.includes('ldap') && !ldap) throw new ConfigError('ldap is required when auth.backends lists ldap');
  return ldap ? { ...rest, ldap: resolveLdap(ldap) } : rest;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** Reads the YAML file (if any), applies environment overrides, validates. */
export async function loadConfig(file: string | undefined, env: Env = process.env): Promise<Config> {
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
  }
  return resolveConfig(raw, env);
}

/** The address the realm is reached at, for WWW-Authenticate and registry-config. */
export function publicUrl(config: Config): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
  const [host, port] = splitListen(config.listen);
  const shown = host === '0.0.0.0' || host === '' || host === '::' ? '127.0.0.1' : host;
  return `${config.tls.certFile ? 'https' : 'http'}://${shown}:${port}`;
}

export function splitListen(listen: string): [string, number] {
  const idx = listen.lastIndexOf(':');
  return [listen.slice(0, idx).replace(/^\[|\]$/g, ''), Number(listen.slice(idx + 1))];
}
