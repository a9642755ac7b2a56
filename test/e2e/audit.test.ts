/**
 * The audit trail with the real registry (distribution 2.8.2), configured from what
 * `portcullis registry-config` prints, notifications included: the registry posts its events to
 * Portcullis, so a push by alice is recorded with her name and the pushed digest, and a guest's
 * refused push is recorded with the reason.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skopeoClient, type SkopeoClient } from '../harness/clients/skopeo.js';
import { makeOciImage, type OciImage } from '../harness/image.js';
import { pollUntil, requireBinary, runOk, tempDir } from '../harness/proc.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis } from './helpers/portcullis.js';
import { expectRefused } from './helpers/refusals.js';
import { ALICE, BOB, seedTeam } from './helpers/suite.js';

const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');
const EVENTS_SECRET = 'e2e-registry-events-secret';

interface Entry {
  kind: string;
  subject: string | null;
  outcome: string;
  repositories: string[];
  detail: { tag?: string; digest?: string; mediaType?: string; denied?: { action: string; reason: string }[] };
}

describe('the audit trail with the real registry and skopeo', () => {
  let portcullis: Portcullis;
  let registry: Registry;
  let skopeo: SkopeoClient;
  let image: OciImage;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const entries = (query: Record<string, string>) => portcullis.admin.call<{ entries: Entry[] }>('GET', `/audit?${new URLSearchParams(query)}`);

  beforeAll(async () => {
    for (const bin of ['docker-registry', 'skopeo']) await requireBinary(bin);
    const auditYaml = `audit:\n  buffer:\n    flushEveryMs: 100\n  events:\n    secret: ${EVENTS_SECRET}\n`;
    portcullis = await startPortcullis({ configYaml: auditYaml });
    dir = await tempDir('audit-e2e');
    // registry-config reads the configuration the service runs with.
    const config = join(dir.path, 'portcullis.yaml');
    await writeFile(config, `publicUrl: ${portcullis.url}\ntoken:\n  service: ${SERVICE}\n  issuer: ${ISSUER}\n${auditYaml}`);
    const bundle = join(dir.path, 'bundle.pem');
    await writeFile(bundle, portcullis.bundlePem);
    const printed = parse(
      (await runOk(process.execPath, [BIN, 'registry-config', '-c', config, '--bundle-path', bundle], { env: { PATH: process.env.PATH } })).stdout,
    ) as {
      auth: { token: { realm: string; service: string; issuer: string; rootcertbundle: string } };
      notifications: unknown;
    };
    const { token } = printed.auth;
    registry = await startRegistry({
      realm: token.realm,
      service: token.service,
      issuer: token.issuer,
      rootCertBundle: token.rootcertbundle,
      notifications: printed.notifications,
    });
    await seedTeam(portcullis);
    [skopeo, image] = await Promise.all([skopeoClient(), makeOciImage()]);
  });
  afterAll(async () => {
    await skopeo?.stop();
    await image?.remove();
    await registry?.stop();
    await portcullis?.stop();
    await dir?.remove();
  });

  it('a push by alice is a push event with actor alice and the pushed digest', async () => {
    const pushed = await skopeo.push(image, `${registry.host}/team/audited:v1`, { creds: ALICE });
    expect(pushed.code, pushed.stderr + registry.logs().slice(-2000)).toBe(0);
    let manifestPush: Entry | undefined;
    await pollUntil(
      async () => {
        const { entries: events } = await entries({ kind: 'registry', outcome: 'push', repository: 'team/audited' });
        manifestPush = events.find((e) => e.detail.digest === pushed.digest);
        return manifestPush !== undefined;
      },
      undefined,
      `the registry's push event\n${registry.logs().slice(-2000)}`,
      20_000,
      200,
    );
    expect(manifestPush).toMatchObject({ subject: 'alice', repositories: ['team/audited'], detail: { tag: 'v1', digest: pushed.digest } });
  });

  it("a guest's push is refused, and the audit says why: role_lacks_push", async () => {
    expectRefused(await skopeo.push(image, `${registry.host}/team/audited:guest`, { creds: BOB }), 'denied');
    const { entries: tokens } = await entries({ kind: 'token', subject: 'bob', repository: 'team/audited' });
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens[0]).toMatchObject({ outcome: 'partial' });
    expect(tokens[0]?.detail.denied).toEqual([expect.objectContaining({ action: 'push', reason: 'role_lacks_push' })]);
  });
});
