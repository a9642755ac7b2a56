/**
 * docker-compose.yml configures the registry through REGISTRY_AUTH* variables, not a file.
 * The real registry gets exactly those variables (only the realm URL and the bundle path are
 * made local) and must then accept Portcullis tokens configured as the compose file configures
 * Portcullis.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skopeoClient, type SkopeoClient } from '../harness/clients/skopeo.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { requireBinary } from '../harness/proc.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { startPortcullis, type Portcullis } from './helpers/portcullis.js';
import { expectRefused } from './helpers/refusals.js';
import { expectAdminPushAnonymousPull } from './helpers/round-trip.js';

type Service = { environment: Record<string, string> };

describe('the registry as docker-compose.yml configures it', () => {
  let portcullis: Portcullis;
  let registry: Registry;
  let skopeo: SkopeoClient;
  let image: OciImage;

  beforeAll(async () => {
    for (const bin of ['docker-registry', 'skopeo']) await requireBinary(bin);
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as { services: Record<string, Service> };
    const registryEnv = compose.services.registry!.environment;
    const portcullisEnv = compose.services.portcullis!.environment;
    portcullis = await startPortcullis({ service: portcullisEnv.PORTCULLIS_SERVICE, issuer: portcullisEnv.PORTCULLIS_ISSUER });
    // The file the compose file names, in the keys directory Portcullis wrote (the shared volume).
    const bundle = join(portcullis.keysDir, basename(registryEnv.REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE ?? 'unset'));
    const authEnv = Object.fromEntries(Object.entries(registryEnv).filter(([k]) => k.startsWith('REGISTRY_AUTH')));
    registry = await startRegistry({
      realm: '',
      service: '',
      issuer: '',
      rootCertBundle: '',
      authEnv: { ...authEnv, REGISTRY_AUTH_TOKEN_REALM: portcullis.realm, REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE: bundle },
    });
    [skopeo, image] = await Promise.all([skopeoClient(), makeOciImage()]);
  });
  afterAll(async () => {
    await skopeo?.stop();
    await image?.remove();
    await registry?.stop();
    await portcullis?.stop();
  });

  it('enforces token auth and accepts Portcullis tokens', async () => {
    const ref = `${registry.host}/library/compose:v1`;
    expectRefused(await skopeo.push(image, ref, { creds: 'anonymous' }), 'denied');
    await expectAdminPushAnonymousPull(skopeo, image, registry, ref);
  });
});
