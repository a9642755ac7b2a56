import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, publicUrl, resolveConfig } from '../../../src/config/load.js';
import { tempDir } from '../../harness/proc.js';

type Env = Record<string, string | undefined>;

function failure(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  return {};
}

describe('resolveConfig: defaults', () => {
  it('an empty config is complete', () => {
    const config = resolveConfig({});
    expect(config).toMatchObject({
      listen: '0.0.0.0:5001',
      dataDir: './data',
      token: {
        issuer: 'portcullis',
        service: 'registry',
        ttlSeconds: 300,
        algorithm: 'ES256',
        keysDir: './certs',
        headerX5c: true,
        headerKid: true,
        extraCertificates: [],
      },
      identityTokens: { enabled: false, ttlSeconds: 7_776_000 },
      auth: { backends: ['local'], anonymous: true, bcryptCost: 10 },
      admin: { username: 'admin' },
      limits: { maxScopes: 64, maxScopeLength: 512 },
      log: { level: 'info' },
    });
    expect(config.publicUrl).toBeUndefined();
    expect(config.database.url).toBeUndefined();
    expect(config.admin.password).toBeUndefined();
    expect(config.ldap).toBeUndefined();
  });

  it.each([null, undefined])('%j counts as an empty config', (raw) => {
    expect(resolveConfig(raw).token.ttlSeconds).toBe(300);
  });

  it('does not modify the object it is given', () => {
    const raw = { token: { issuer: 'x' } };
    resolveConfig(raw, { PORTCULLIS_SERVICE: 'svc' });
    expect(raw).toEqual({ token: { issuer: 'x' } });
  });
});

describe('resolveConfig: environment', () => {
  it.each<[string, string, (c: ReturnType<typeof resolveConfig>) => unknown, unknown]>([
    ['PORTCULLIS_LISTEN', '127.0.0.1:6000', (c) => c.listen, '127.0.0.1:6000'],
    ['PORTCULLIS_PUBLIC_URL', 'https://auth.example.org', (c) => c.publicUrl, 'https://auth.example.org'],
    ['PORTCULLIS_DATA_DIR', '/var/lib/p', (c) => c.dataDir, '/var/lib/p'],
    ['PORTCULLIS_DATABASE_URL', 'postgres://u@h/db', (c) => c.database.url, 'postgres://u@h/db'],
    ['PORTCULLIS_KEYS_DIR', '/etc/p/keys', (c) => c.token.keysDir, '/etc/p/keys'],
    ['PORTCULLIS_SERVICE', 'my-registry', (c) => c.token.service, 'my-registry'],
    ['PORTCULLIS_ISSUER', 'my-issuer', (c) => c.token.issuer, 'my-issuer'],
    ['PORTCULLIS_TOKEN_TTL', '900', (c) => c.token.ttlSeconds, 900],
    ['PORTCULLIS_TOKEN_ALGORITHM', 'RS256', (c) => c.token.algorithm, 'RS256'],
    ['PORTCULLIS_ADMIN_PASSWORD', 's3cret', (c) => c.admin.password, 's3cret'],
    ['PORTCULLIS_LOG_LEVEL', 'debug', (c) => c.log.level, 'debug'],
    ['PORTCULLIS_IDENTITY_TOKENS', 'true', (c) => c.identityTokens.enabled, true],
    ['PORTCULLIS_IDENTITY_TOKENS', 'TRUE', (c) => c.identityTokens.enabled, true],
    ['PORTCULLIS_IDENTITY_TOKENS', '1', (c) => c.identityTokens.enabled, true],
    ['PORTCULLIS_IDENTITY_TOKENS', 'yes', (c) => c.identityTokens.enabled, true],
    ['PORTCULLIS_IDENTITY_TOKENS', 'on', (c) => c.identityTokens.enabled, true],
    ['PORTCULLIS_IDENTITY_TOKENS', 'false', (c) => c.identityTokens.enabled, false],
    ['PORTCULLIS_IDENTITY_TOKENS', '0', (c) => c.identityTokens.enabled, false],
    ['PORTCULLIS_IDENTITY_TOKENS', 'no', (c) => c.identityTokens.enabled, false],
    ['PORTCULLIS_IDENTITY_TOKENS', 'off', (c) => c.identityTokens.enabled, false],
  ])('%s=%s', (name, value, pick, expected) => {
    expect(pick(resolveConfig({}, { [name]: value }))).toEqual(expected);
  });

  it('the environment wins over the file, an empty variable does not count', () => {
    const raw = { token: { service: 'from-file', issuer: 'file-issuer' }, identityTokens: { enabled: true } };
    const config = resolveConfig(raw, { PORTCULLIS_SERVICE: 'from-env', PORTCULLIS_ISSUER: '', PORTCULLIS_IDENTITY_TOKENS: 'false' });
    expect(config.token).toMatchObject({ service: 'from-env', issuer: 'file-issuer' });
    expect(config.identityTokens.enabled).toBe(false);
  });

  it.each<[Env, string]>([
    [{ PORTCULLIS_IDENTITY_TOKENS: 'maybe' }, 'PORTCULLIS_IDENTITY_TOKENS'],
    [{ PORTCULLIS_IDENTITY_TOKENS: 'truee' }, 'PORTCULLIS_IDENTITY_TOKENS'],
    [{ PORTCULLIS_TOKEN_TTL: 'five' }, 'PORTCULLIS_TOKEN_TTL'],
    [{ PORTCULLIS_TOKEN_TTL: '-300' }, 'PORTCULLIS_TOKEN_TTL'],
    [{ PORTCULLIS_TOKEN_TTL: '300.5' }, 'PORTCULLIS_TOKEN_TTL'],
    [{ PORTCULLIS_TOKEN_TTL: '30' }, 'token.ttlSeconds'],
    [{ PORTCULLIS_TOKEN_ALGORITHM: 'HS256' }, 'token.algorithm'],
    [{ PORTCULLIS_LOG_LEVEL: 'loud' }, 'log.level'],
    [{ PORTCULLIS_DATABASE_URL: 'mysql://x' }, 'database.url'],
    [{ PORTCULLIS_LISTEN: 'nowhere' }, 'listen'],
  ])('rejects %o naming %s', (env, key) => {
    expect(failure(() => resolveConfig({}, env))).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(key) });
  });
});

describe('resolveConfig: validation names the key', () => {
  it.each<[string, unknown, string]>([
    ['ttl below 60', { token: { ttlSeconds: 59 } }, 'token.ttlSeconds'],
    ['ttl above a day', { token: { ttlSeconds: 86_401 } }, 'token.ttlSeconds'],
    ['ttl not an integer', { token: { ttlSeconds: 90.5 } }, 'token.ttlSeconds'],
    ['unknown top-level key', { tokens: {} }, 'tokens'],
    ['unknown nested key', { token: { ttl: 300 } }, 'token.ttl'],
    ['empty issuer', { token: { issuer: '' } }, 'token.issuer'],
    ['unknown backend', { auth: { backends: ['local', 'oidc'] } }, 'auth.backends'],
    ['no backend', { auth: { backends: [] } }, 'auth.backends'],
    ['bcrypt cost too low', { auth: { bcryptCost: 3 } }, 'auth.bcryptCost'],
    ['ldap without urls', { ldap: { bindDnTemplate: 'uid={username},dc=x' } }, 'ldap.urls'],
    ['ldap url not ldap', { ldap: { urls: ['http://x'], bindDnTemplate: 'uid={username},dc=x' } }, 'ldap.urls'],
    ['ldap backend without ldap section', { auth: { backends: ['ldap'] } }, 'ldap'],
    ['group search without baseDn', { ldap: { urls: ['ldap://x'], bindDnTemplate: 'uid={username}', groups: { source: 'search' } } }, 'ldap.groups.baseDn'],
    ['a list at the root', ['a'], 'mapping'],
    ['a string at the root', 'token', 'mapping'],
  ])('%s', (_, raw, key) => {
    expect(failure(() => resolveConfig(raw))).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(key) });
  });
});

describe('loadConfig', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('config');
  });
  afterAll(() => dir.remove());

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir.path, name);
    await writeFile(path, text);
    return path;
  }

  it('no file: defaults plus environment', async () => {
    expect((await loadConfig(undefined, { PORTCULLIS_SERVICE: 's' })).token.service).toBe('s');
  });

  it.each([
    ['empty file', ''],
    ['comments only', '# nothing here\n'],
  ])('%s: defaults', async (name, text) => {
    expect((await loadConfig(await file(`${name}.yml`, text), {})).token.ttlSeconds).toBe(300);
  });

  it('reads YAML and applies the environment on top', async () => {
    const path = await file('ok.yml', 'token:\n  issuer: yaml-issuer\n  ttlSeconds: 600\nidentityTokens:\n  enabled: true\n');
    const config = await loadConfig(path, { PORTCULLIS_TOKEN_TTL: '120' });
    expect(config.token).toMatchObject({ issuer: 'yaml-issuer', ttlSeconds: 120 });
    expect(config.identityTokens.enabled).toBe(true);
  });

  it.each<[string, string | null, string]>([
    ['missing file', null, 'cannot read'],
    ['invalid YAML', 'token: [unclosed\n', 'YAML'],
    ['duplicate key', 'token: {}\ntoken: {}\n', 'YAML'],
    ['a list', '- a\n- b\n', 'mapping'],
    ['a scalar', 'hello\n', 'mapping'],
    ['unknown key', 'token:\n  isuer: x\n', 'token.isuer'],
  ])('%s -> CONFIG_INVALID', async (name, text, hint) => {
    const path = text === null ? join(dir.path, 'absent.yml') : await file(`${name}.yml`, text);
    await expect(loadConfig(path, {})).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(hint) });
  });
});

describe('publicUrl', () => {
  it.each([
    [{}, 'http://127.0.0.1:5001'],
    [{ listen: '10.0.0.5:8080' }, 'http://10.0.0.5:8080'],
    [{ listen: '[::]:5001' }, 'http://127.0.0.1:5001'],
    [{ listen: ':5001' }, 'http://127.0.0.1:5001'],
    [{ publicUrl: 'https://auth.example.org/' }, 'https://auth.example.org'],
  ])('%o -> %s', (raw, url) => {
    expect(publicUrl(resolveConfig(raw))).toBe(url);
  });
});

describe('PORTCULLIS_LDAP_BIND_PASSWORD', () => {
  const ldap = { urls: ['ldap://127.0.0.1:389'], search: { bindDn: 'cn=svc,dc=x', baseDn: 'dc=x' } };

  it('sets the service account password of a configured ldap section', () => {
    const config = resolveConfig({ ldap }, { PORTCULLIS_LDAP_BIND_PASSWORD: 'from-env' });
    expect(config.ldap?.mode).toMatchObject({ kind: 'search', account: { password: 'from-env' } });
  });

  it('is ignored when no ldap section is configured', () => {
    expect(resolveConfig({}, { PORTCULLIS_LDAP_BIND_PASSWORD: 'from-env' }).ldap).toBeUndefined();
  });
});
