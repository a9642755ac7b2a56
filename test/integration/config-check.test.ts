import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../harness/proc.js';
import { useTempDir } from '../helpers/temp.js';

// The built CLI (npm test builds dist/ before running the suite), as an operator runs it.
const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');

describe('portcullis config check', () => {
  const tmp = useTempDir('config-check');
  const env = { PATH: process.env.PATH };
  const check = (args: string[], extraEnv: Record<string, string> = {}) =>
    run(process.execPath, [BIN, ...args], { cwd: tmp().path, env: { ...env, ...extraEnv }, timeoutMs: 30_000 });

  it('prints the resolved configuration with every secret masked', async () => {
    const file = join(tmp().path, 'ok.yaml');
    await writeFile(
      file,
      'admin:\n  password: first-admin-secret\nldap:\n  urls: [ldap://127.0.0.1:389]\n  search: {bindDn: "cn=svc,dc=x", bindPassword: svc-secret, baseDn: "dc=x"}\n',
    );
    const res = await check(['config', 'check', '--config', file], { PORTCULLIS_DATABASE_URL: 'postgres://portcullis:db-secret@db:5432/portcullis' });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('ttlSeconds: 300');
    expect(res.stdout).toContain('postgres://portcullis:***@db:5432/portcullis');
    for (const secret of ['first-admin-secret', 'svc-secret', 'db-secret']) expect(res.stdout).not.toContain(secret);
  });

  it('lists every error, with suggestions, and exits 1', async () => {
    const file = join(tmp().path, 'bad.yaml');
    await writeFile(file, 'token:\n  isuer: x\nlisten: nowhere\nldapp: {}\n');
    const res = await check(['config', 'check', '-c', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('token.isuer is not a known option (did you mean token.issuer?)');
    expect(res.stderr).toContain('ldapp is not a known option (did you mean ldap?)');
    expect(res.stderr).toMatch(/listen is invalid/);
    const json = await check(['--json', 'config', 'check', '-c', file]);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toEqual({
      error: 'configuration is invalid',
      errors: expect.arrayContaining(['ldapp is not a known option (did you mean ldap?)']),
    });
  });
});
