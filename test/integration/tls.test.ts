import { X509Certificate } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { reloadTlsOnChange, warnIfPlainHttpOffLoopback } from '../../src/tls.js';
import { opensslSelfSigned } from '../harness/openssl.js';
import { pollUntil, requireBinary, tempDir } from '../harness/proc.js';
import { ADMIN_AUTH, buildTestApp, type TestApp } from '../helpers/app.js';

/** A self-signed certificate for 127.0.0.1 made by openssl, as an operator would. */
async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string; pem: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await opensslSelfSigned({ keyFile: key, certFile: cert, subject: `/CN=${name}`, days: 2, extra: ['-addext', 'subjectAltName=IP:127.0.0.1'] });
  return { cert, key, pem: await readFile(cert, 'utf8') };
}

/** The fingerprint of the certificate a new TLS connection is shown. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('HTTPS for the realm', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let t: TestApp;
  let port: number;
  let first: Awaited<ReturnType<typeof selfSigned>>;
  let second: Awaited<ReturnType<typeof selfSigned>>;
  const certFile = () => join(tmp.path, 'serving.crt');
  const keyFile = () => join(tmp.path, 'serving.key');

  beforeAll(async () => {
    await requireBinary('openssl');
    tmp = await tempDir('tls');
    [first, second] = await Promise.all([selfSigned(tmp.path, 'first'), selfSigned(tmp.path, 'second')]);
    await copyFile(first.cert, certFile());
    await copyFile(first.key, keyFile());
    t = await buildTestApp({ tls: { certFile: certFile(), keyFile: keyFile() } });
    reloadTlsOnChange(t.app, t.config.tls);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await t?.close();
    await tmp?.remove();
  });

  it('serves tokens over HTTPS with the configured certificate', async () => {
    const res = await request(`https://127.0.0.1:${port}/token?service=registry`, {
      headers: { authorization: ADMIN_AUTH },
      dispatcher: new Agent({ connect: { ca: first.pem } }),
    });
    expect(res.statusCode).toBe(200);
    expect((await res.body.json()) as object).toHaveProperty('token');
  });

  it('picks up renewed files without a restart, for new connections', async () => {
    expect(await servedFingerprint(port)).toBe(new X509Certificate(first.pem).fingerprint256);
    await copyFile(second.key, keyFile());
    await copyFile(second.cert, certFile());
    const want = new X509Certificate(second.pem).fingerprint256;
    await pollUntil(async () => (await servedFingerprint(port)) === want, undefined, 'the renewed certificate', 15_000, 200);
  });

  it("refuses a certificate without its key, or a key that is not the certificate's", async () => {
    expect(() => resolveConfig({ tls: { certFile: first.cert } })).toThrow('tls.certFile and tls.keyFile go together');
    await expect(buildTestApp({ tls: { certFile: first.cert, keyFile: second.key } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('does not belong'),
    });
  });

  it('warns when serving plain HTTP beyond loopback, and only then', async () => {
    const warnings: string[] = [];
    const app = { log: { warn: (_: object, msg: string) => warnings.push(msg) } } as unknown as Parameters<typeof warnIfPlainHttpOffLoopback>[0];
    const plain = resolveConfig({ listen: '0.0.0.0:5001' });
    warnIfPlainHttpOffLoopback(app, plain, '127.0.0.1');
    expect(warnings).toEqual([]);
    warnIfPlainHttpOffLoopback(app, plain, '0.0.0.0');
    expect(warnings).toEqual([expect.stringMatching(/plain HTTP on a non-loopback address/)]);
    warnIfPlainHttpOffLoopback(app, t.config, '0.0.0.0');
    expect(warnings).toHaveLength(1);
  });
});
