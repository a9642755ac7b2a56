/**
 * The running service follows the keys directory without a restart: a watch (and SIGHUP)
 * reloads it, a broken state keeps the keys in use, and every step of a rotation shows in the
 * tokens' kid and in the JWKS at once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/routes/logging.js';
import { generateSigningKey } from '../../src/token/keys/generate.js';
import { promote, retire, rotate } from '../../src/token/keys/rotation.js';
import { freePort } from '../harness/ports.js';
import { pollUntil, startDaemon, untilReady } from '../harness/proc.js';
import { buildTestApp, decodeJwt, type TestApp } from '../helpers/app.js';
import { granted, realmGet } from '../helpers/realm.js';
import { useTempDir } from '../helpers/temp.js';

const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');
const TTL = 300;

describe('key reload in the running service', () => {
  const tmp = useTempDir('key-reload');
  let t: TestApp;
  let dir: string;
  let log = '';

  const signingKid = async () => decodeJwt(granted(await realmGet(t.app, { service: 'registry' })).body.token).header.kid;
  const jwksKids = async () => (await t.app.inject('/.well-known/jwks.json')).json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid);
  const bundleCount = async () => ((await t.app.inject('/certs/bundle.pem')).body.match(/BEGIN CERTIFICATE/g) ?? []).length;
  const until = (what: string, check: () => Promise<boolean>) => pollUntil(check, undefined, what, 10_000, 50);

  beforeAll(async () => {
    dir = join(tmp().path, 'keys');
    await generateSigningKey({ dir, algorithm: 'ES256' });
    const stream = {
      write: (line: string) => {
        log += line;
      },
    };
    t = await buildTestApp({ token: { keysDir: dir } }, { logger: { ...(loggerOptions('info') as object), stream } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes a rotated key at once, signs with it after promote, and drops it after retire', async () => {
    const first = await signingKid();
    expect(log).toContain(`"signing":"${first}"`);

    const { next } = await rotate(dir, TTL);
    await until('next key published', async () => (await jwksKids()).includes(next as string));
    expect(await jwksKids()).toEqual([first, next]);
    expect(await bundleCount()).toBe(2);
    expect(await signingKid()).toBe(first);

    await promote(dir, TTL);
    await until('promoted key signs', async () => (await signingKid()) === next);
    expect(await jwksKids()).toEqual([next, first]);
    expect(log).toMatch(
      new RegExp(`"trigger":"keys directory changed","signing":"${next}","published":\\["${next}","${first}"\\],"msg":"token keys reloaded"`),
    );

    await retire(dir, TTL, { force: true });
    await until('previous key dropped', async () => (await jwksKids()).length === 1);
    expect(await jwksKids()).toEqual([next]);
    expect(await signingKid()).toBe(next);
  });

  it('keeps signing with the keys it has when the directory is broken, and recovers when it is repaired', async () => {
    const before = await signingKid();
    const jwks = await jwksKids();
    const logged = log.length;
    const cert = join(dir, 'token.crt');
    const good = await readFile(cert, 'utf8');
    await writeFile(cert, '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
    await until('the error is logged', async () => log.slice(logged).includes('the keys directory cannot be used'));
    expect(log.slice(logged)).toMatch(/"level":50.*token\.crt holds an unreadable certificate.*still signing and publishing the keys loaded before/);
    expect(await signingKid()).toBe(before);
    expect(await jwksKids()).toEqual(jwks);
    expect((await t.app.inject('/readyz')).statusCode).toBe(200);

    await writeFile(cert, good);
    const repaired = log.length;
    await until('the repaired directory is read', async () => log.slice(repaired).includes('token keys reloaded'));
    expect(await signingKid()).toBe(before);
  });
});

describe('SIGHUP', () => {
  const tmp = useTempDir('key-sighup');

  it('reloads the keys of a running serve process and logs what it signs with and publishes', async () => {
    const dir = join(tmp().path, 'keys');
    await generateSigningKey({ dir, algorithm: 'ES256' });
    const port = await freePort();
    const serve = startDaemon(process.execPath, [BIN, 'serve'], {
      env: {
        PATH: process.env.PATH,
        PORTCULLIS_KEYS_DIR: dir,
        PORTCULLIS_DATA_DIR: join(tmp().path, 'data'),
        PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
        PORTCULLIS_ADMIN_PASSWORD: 'sighup-admin-password',
      },
    });
    try {
      await untilReady(`http://127.0.0.1:${port}`, serve.exited, 'portcullis');
      const signing = /"signing":"([A-Z2-7:]+)"/.exec(serve.output())?.[1];
      expect(signing, serve.output()).toBeDefined();
      serve.child.kill('SIGHUP');
      await pollUntil(async () => serve.output().includes('"trigger":"SIGHUP"'), serve.exited, 'the SIGHUP reload', 10_000);
      expect(serve.output()).toMatch(
        new RegExp(`"trigger":"SIGHUP","signing":"${signing}","published":\\["${signing}"\\],"msg":"token keys reloaded: unchanged"`),
      );
      // Still serving: SIGHUP's default action would have ended the process.
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      await serve.stop();
    }
  });
});
