import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/proc.js';
import { ADMIN, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';
import { STORES, usePostgres } from '../helpers/stores.js';

// The built CLI (npm test builds dist/ first), run as an operator would, with the service stopped.
const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');
const postgres = usePostgres();

describe.each(STORES)('portcullis admin reset-password on the %s store', (kind) => {
  let t: TestApp;
  let env: Record<string, string>;
  const reset = (args: string[], input: string) =>
    run(process.execPath, [BIN, 'admin', 'reset-password', ...args, '--password-stdin'], { env, input, timeoutMs: 60_000 });
  const login = (password: string) => realmGet(t.app, { service: 'registry' }, basic(ADMIN.username, password));

  beforeAll(async () => {
    const url = kind === 'postgres' ? await postgres().createDatabase() : undefined;
    t = await buildTestApp(url ? { database: { url } } : {});
    env = {
      PATH: process.env.PATH ?? '',
      PORTCULLIS_DATA_DIR: t.dataDir,
      PORTCULLIS_KEYS_DIR: t.config.token.keysDir,
      PORTCULLIS_LOG_LEVEL: 'silent',
      ...(url ? { PORTCULLIS_DATABASE_URL: url } : {}),
    };
    granted(await login(ADMIN.password));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sets the password of the configured admin in the store, for the next start', async () => {
    await t.app.close();
    const res = await reset([], 'recovered-password-1\n');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`password of ${ADMIN.username} reset`);
    await t.restart();
    granted(await login('recovered-password-1'));
    expect(errorCode(await login(ADMIN.password), 401)).toBe('UNAUTHORIZED');
  });

  it('applies the password policy and names an unknown user', async () => {
    await t.app.close();
    try {
      expect((await reset([], 'short\n')).stderr).toMatch(/at least 8 characters/);
      expect((await reset(['nobody'], 'long-enough-password\n')).stderr).toMatch(/user nobody not found/);
    } finally {
      await t.restart();
    }
  });

  if (kind === 'embedded') {
    it('refuses while the service holds the embedded store, naming it', async () => {
      const res = await reset([], 'another-password-1\n');
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`${t.dataDir} is in use by another Portcullis process`);
      granted(await login('recovered-password-1'));
    });
  }
});
