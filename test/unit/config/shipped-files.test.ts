/** The shipped configuration files must stay valid as the schema changes. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serviceAccountOf } from '../../../src/config/ldap.js';
import { loadConfig, resolveConfig } from '../../../src/config/load.js';
import { BUNDLE_FILE } from '../../../src/token/keys/files.js';

describe('shipped configuration', () => {
  it('portcullis.example.yaml states the real defaults', async () => {
    expect(await loadConfig('portcullis.example.yaml', {})).toEqual(resolveConfig({}));
  });

  it('portcullis.example.yaml with its LDAP block uncommented in place, and ldap in auth.backends, is valid', async () => {
    const lines = (await readFile('portcullis.example.yaml', 'utf8')).split('\n');
    const start = lines.indexOf('# ldap:');
    expect(start).toBeGreaterThan(0);
    const edited = lines.map((line, i) => {
      if (line === '  backends: [local]') return '  backends: [local, ldap]';
      return i >= start && line.startsWith('# ') ? line.slice(2) : line;
    });
    const config = resolveConfig(parse(edited.join('\n')));
    expect(config.auth.backends).toEqual(['local', 'ldap']);
    // Template and search both set: a direct bind whose entry the service account reads.
    expect(config.ldap?.mode).toMatchObject({ kind: 'bind', entry: { kind: 'search', account: { dn: 'cn=portcullis,ou=services,dc=example,dc=org' } } });
    expect(config.ldap?.groups).toEqual({ source: 'memberOf', nestedDepth: 0 });
  });

  it('deploy/portcullis.yaml, the compose setup, is a valid config', async () => {
    const config = await loadConfig('deploy/portcullis.yaml', { PORTCULLIS_LDAP_BIND_PASSWORD: 'from-compose' });
    expect(config.auth.backends).toEqual(['local', 'ldap']);
    expect(serviceAccountOf(config.ldap!.mode)?.password).toBe('from-compose');
  });

  it('the compose registry trusts the certificate Portcullis writes', async () => {
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as {
      services: Record<string, { environment?: Record<string, string>; volumes?: string[] }>;
    };
    const registry = compose.services.registry!;
    const portcullis = compose.services.portcullis!;
    const keysMount = portcullis.volumes!.find((v) => v.startsWith('portcullis-keys:'))!.split(':')[1];
    const bundle = registry.environment!.REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE!;
    const registryMount = registry.volumes!.find((v) => v.startsWith('portcullis-keys:'))!.split(':')[1]!;
    // bundle.pem: what serve writes on first start and the rotation commands keep current.
    expect(bundle).toBe(`${registryMount}/${BUNDLE_FILE}`);
    expect(keysMount).toBe('/var/lib/portcullis/certs');
    expect(registry.environment!.REGISTRY_AUTH_TOKEN_ISSUER).toBe(portcullis.environment!.PORTCULLIS_ISSUER);
    expect(registry.environment!.REGISTRY_AUTH_TOKEN_SERVICE).toBe(portcullis.environment!.PORTCULLIS_SERVICE);
  });

  it.each(['README.md', 'docs/ldap.md'])('the LDAP examples in %s are valid configurations', async (file) => {
    const text = await readFile(file, 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => parse(m[1] as string) as Record<string, unknown>)
      .filter((doc) => doc && typeof doc === 'object' && 'ldap' in doc);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const doc of blocks) {
      const config = resolveConfig({ auth: { backends: ['local', 'ldap'] }, ...doc });
      expect(config.ldap?.urls.length).toBeGreaterThan(0);
    }
  });

  it('the Dockerfile creates every directory compose mounts a volume on, owned by the runtime user', async () => {
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as { services: Record<string, { volumes?: string[] }> };
    const dockerfile = await readFile('Dockerfile', 'utf8');
    // Named volumes only (a bind mount's source is a path: ./file or /dir).
    const mounts = (compose.services.portcullis?.volumes ?? [])
      .map((v) => v.split(':'))
      .filter(([source]) => source !== undefined && !/^[./~]/.test(source))
      .map(([, target]) => target ?? '');
    expect(mounts.length).toBeGreaterThan(0);
    const mkdir = /RUN mkdir -p -m 0700 ([^&]+)&& chown -R node:node (\S+)/.exec(dockerfile);
    expect(mkdir, 'a RUN mkdir ... && chown -R node:node line').not.toBeNull();
    const made = (mkdir?.[1] ?? '').trim().split(/\s+/);
    for (const mount of mounts) {
      // A fresh named volume takes the owner of the image's directory, which must exist for that.
      expect(made).toContain(mount);
      expect(mount.startsWith(mkdir?.[2] ?? '?')).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
