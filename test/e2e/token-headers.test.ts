/**
 * Registry 2.8.2 takes the verification key from x5c, else jwk, else kid, with no fallback.
 * Each way Portcullis can sign must be accepted by the real registry: checked with skopeo.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { skopeoClient, type SkopeoClient } from '../harness/clients/skopeo.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { requireBinary, runOk, tempDir } from '../harness/proc.js';
import { opensslSelfSigned } from '../harness/openssl.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis, type StartOptions } from './helpers/portcullis.js';
import { expectAdminPushAnonymousPull } from './helpers/round-trip.js';

/** A CA and a leaf it issued, written as token.key + token.crt (leaf, then CA); returns the CA PEM. */
async function caIssuedKey(dir: string): Promise<string> {
  const tmp = await tempDir('ca');
  const t = (f: string) => join(tmp.path, f);
  await opensslSelfSigned({ keyFile: t('ca.key'), certFile: t('ca.crt'), subject: '/CN=portcullis test CA', days: 30 });
  await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', t('leaf.key')]);
  await runOk('openssl', ['req', '-new', '-key', t('leaf.key'), '-out', t('leaf.csr'), '-subj', '/CN=portcullis signer']);
  await runOk('openssl', [
    'x509',
    '-req',
    '-in',
    t('leaf.csr'),
    '-CA',
    t('ca.crt'),
    '-CAkey',
    t('ca.key'),
    '-CAcreateserial',
    '-out',
    t('leaf.crt'),
    '-days',
    '30',
  ]);
  const { readFile } = await import('node:fs/promises');
  const [leafKey, leaf, ca] = await Promise.all(['leaf.key', 'leaf.crt', 'ca.crt'].map((f) => readFile(t(f), 'utf8')));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'token.key'), leafKey as string, { mode: 0o600 });
  await writeFile(join(dir, 'token.crt'), `${leaf}${ca}`);
  await tmp.remove();
  return ca as string;
}

const VARIANTS: { name: string; opts: StartOptions; bundle?: 'ca' }[] = [
  { name: 'ES256 with x5c and kid (the default)', opts: {} },
  { name: 'RS256 with x5c', opts: { algorithm: 'RS256' } },
  { name: 'ES256 with only the libtrust kid (no x5c)', opts: { configYaml: 'token:\n  headerX5c: false\n  headerKid: true\n' } },
  { name: 'a leaf issued by a CA, the bundle holding only the CA', opts: {}, bundle: 'ca' },
];

describe.each(VARIANTS)('registry 2.8 accepts tokens signed with $name', ({ opts, bundle }) => {
  let portcullis: Portcullis;
  let registry: Registry;
  let skopeo: SkopeoClient;
  let image: OciImage;

  beforeAll(async () => {
    for (const bin of ['docker-registry', 'skopeo', 'openssl']) await requireBinary(bin);
    let caPem = '';
    portcullis = await startPortcullis({
      ...opts,
      ...(bundle === 'ca'
        ? {
            prepareKeys: async (dir) => {
              caPem = await caIssuedKey(dir);
            },
          }
        : {}),
    });
    registry = await startRegistry({
      realm: portcullis.realm,
      service: SERVICE,
      issuer: ISSUER,
      rootCertBundle: bundle === 'ca' ? caPem : portcullis.bundlePem,
    });
    [skopeo, image] = await Promise.all([skopeoClient(), makeOciImage()]);
  });
  afterAll(async () => {
    await skopeo?.stop();
    await image?.remove();
    await registry?.stop();
    await portcullis?.stop();
  });

  it('pushes and pulls with them', async () => {
    await expectAdminPushAnonymousPull(skopeo, image, registry, `${registry.host}/library/headers:v1`);
  });
});
