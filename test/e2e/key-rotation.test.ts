/**
 * The README's key rotation, step by step, against the real registry 2.8.2: rotate, restart
 * the registry on bundle.pem, promote (the service reloads by itself), restart, wait out the
 * token lifetime, retire, restart. Tokens fetched from the realm before and after every step
 * are used on the registry at every step (GET /v2/ and a pull of a pushed image over plain
 * HTTP with the bearer token) for as long as they are valid; none may be refused.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/accounts.js';
import { skopeoClient, type SkopeoClient } from '../harness/clients/skopeo.js';
import { makeOciImage, OCI_MANIFEST, type OciImage } from '../harness/image.js';
import { pollUntil, requireBinary, run, type RunResult } from '../harness/proc.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { decodeJwt } from '../helpers/app.js';
import { ISSUER, SERVICE, startPortcullis, type Portcullis } from './helpers/portcullis.js';

const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');
const TTL = 60;
const REPO = 'library/rotation';

interface Issued {
  step: string;
  token: string;
  kid: string;
  exp: number;
}

describe('key rotation with the real registry', () => {
  let portcullis: Portcullis;
  let registry: Registry;
  let skopeo: SkopeoClient;
  let image: OciImage;
  const issued: Issued[] = [];
  const checks: string[] = [];

  const keys = (args: string[]): Promise<RunResult> =>
    run(process.execPath, [BIN, '--json', 'keys', ...args], { env: { ...portcullis.env, PORTCULLIS_TOKEN_TTL: String(TTL) }, timeoutMs: 30_000 });
  const keysOk = async (args: string[]) => {
    const res = await keys(args);
    expect(res.code, `keys ${args.join(' ')}\n${res.stderr}`).toBe(0);
    return JSON.parse(res.stdout) as { signing: string; next: string | null; previous: string | null; published: string[]; retireAfter: string | null };
  };

  /** A token from the realm, as a client gets one before a pull. */
  const issue = async (step: string): Promise<Issued> => {
    const res = await fetch(`${portcullis.realm}?service=${SERVICE}&scope=repository:${REPO}:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const { header, claims } = decodeJwt(token);
    const t = { step, token, kid: header.kid as string, exp: claims.exp as number };
    issued.push(t);
    return t;
  };

  /** GET /v2/, then the manifest and every blob of the pushed image, with the bearer token; the refusals. */
  const refusals = async (t: Issued): Promise<string[]> => {
    const get = (path: string, accept?: string) =>
      fetch(`${registry.url}${path}`, { headers: { authorization: `Bearer ${t.token}`, ...(accept ? { accept } : {}) } });
    const out: string[] = [];
    const v2 = await get('/v2/');
    if (v2.status !== 200) out.push(`/v2/ ${v2.status} ${await v2.text()}`);
    const manifest = await get(`/v2/${REPO}/manifests/v1`, OCI_MANIFEST);
    if (manifest.status !== 200) return [...out, `manifest ${manifest.status} ${await manifest.text()}`];
    const body = (await manifest.json()) as { config: { digest: string }; layers: { digest: string }[] };
    for (const { digest } of [body.config, ...body.layers]) {
      const blob = await get(`/v2/${REPO}/blobs/${digest}`);
      await blob.arrayBuffer();
      if (blob.status !== 200) out.push(`blob ${digest} ${blob.status}`);
    }
    return out;
  };

  /** Every token still valid (with a margin for the time a check takes) is used on the registry. */
  const everyValidTokenWorks = async (moment: string) => {
    const now = Math.floor(Date.now() / 1000);
    const valid = issued.filter((t) => t.exp > now + 5);
    expect(valid.length, moment).toBeGreaterThan(0);
    for (const t of valid) {
      const failed = await refusals(t);
      expect(failed, `${moment}: the token issued ${t.step} (kid ${t.kid}) was refused\n${registry.logs().slice(-3000)}`).toEqual([]);
    }
    checks.push(`${moment}: ${valid.length} tokens (${[...new Set(valid.map((t) => t.kid))].length} keys)`);
  };

  const signingKid = async () => decodeJwt((await issue('probe')).token).header.kid;
  const jwksKids = async () => ((await (await fetch(`${portcullis.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  beforeAll(async () => {
    for (const bin of ['docker-registry', 'skopeo']) await requireBinary(bin);
    portcullis = await startPortcullis({ configYaml: `token:\n  ttlSeconds: ${TTL}\n` });
    // The registry names the bundle file in the keys directory, as the README says.
    registry = await startRegistry({ realm: portcullis.realm, service: SERVICE, issuer: ISSUER, rootCertBundle: `${portcullis.keysDir}/bundle.pem` });
    [skopeo, image] = await Promise.all([skopeoClient(), makeOciImage()]);
    const pushed = await skopeo.push(image, `${registry.host}/${REPO}:v1`, { creds: ADMIN });
    expect(pushed.code, pushed.stderr).toBe(0);
  });
  afterAll(async () => {
    await skopeo?.stop();
    await image?.remove();
    await registry?.stop();
    await portcullis?.stop();
  });

  it('never refuses a valid token from rotate to retire', { timeout: 360_000 }, async () => {
    const first = (await keysOk(['status'])).signing;
    expect((await issue('at start')).kid).toBe(first);
    await everyValidTokenWorks('at start');

    // 1. rotate: the next key is published at once (bundle.pem, the JWKS), and signs nothing yet.
    const rotated = await keysOk(['rotate']);
    const next = rotated.next as string;
    expect(rotated).toMatchObject({ signing: first, published: [first, next], previous: null });
    await pollUntil(async () => (await jwksKids()).includes(next), undefined, 'the service publishes the next key', 10_000);
    expect((await issue('after rotate')).kid).toBe(first);
    await everyValidTokenWorks('after rotate, registry not yet restarted');
    await registry.restart();
    await everyValidTokenWorks('after rotate and the registry restart');

    // 2. promote: the service signs with the next key (SIGHUP, as an operator would send; the
    // watch would do it too), and keeps publishing the old one.
    const promoted = await keysOk(['promote']);
    expect(promoted).toMatchObject({ signing: next, next: null, previous: first });
    portcullis.signal('SIGHUP');
    await pollUntil(async () => (await signingKid()) === next, undefined, 'the service signs with the promoted key', 10_000);
    expect(await jwksKids()).toEqual([next, first]);
    expect((await issue('after promote')).kid).toBe(next);
    await everyValidTokenWorks('after promote, registry not yet restarted');
    await registry.restart();
    await everyValidTokenWorks('after promote and the registry restart');

    // 3. retire: refused until the longest token lifetime has passed since promote.
    const early = await keys(['retire', '--yes']);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(new RegExp(`tokens signed by ${first} may be valid until .* s left; pass --force`));
    const noConsent = await keys(['retire']);
    expect(noConsent.stderr).toMatch(/s left|pass --yes/);
    const retireAfter = Date.parse(promoted.retireAfter as string);
    expect(retireAfter - Date.now()).toBeGreaterThan((TTL + 60 - 30) * 1000);
    // Meanwhile clients keep fetching tokens and pulling: every 15 s, with every token still valid.
    while (Date.now() < retireAfter) {
      await issue('while waiting to retire');
      await everyValidTokenWorks('while waiting to retire');
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(15_000, retireAfter - Date.now()))));
    }
    expect(issued.filter((t) => t.kid === first).every((t) => t.exp * 1000 < Date.now())).toBe(true);
    const notConfirmed = await keys(['retire']);
    expect(notConfirmed.code).not.toBe(0);
    expect(notConfirmed.stderr).toMatch(/not on a terminal: pass --yes to confirm/);
    const retired = await keysOk(['retire', '--yes']);
    expect(retired).toMatchObject({ signing: next, next: null, previous: null, published: [next] });
    await pollUntil(async () => (await jwksKids()).length === 1, undefined, 'the service drops the retired key', 10_000);
    await issue('after retire');
    await everyValidTokenWorks('after retire, registry not yet restarted');
    await registry.restart();
    await issue('after retire and the registry restart');
    await everyValidTokenWorks('after retire and the registry restart');

    expect(checks.length).toBeGreaterThanOrEqual(8);
    // The service logged each reload with what it signs with and publishes.
    expect(portcullis.logs()).toMatch(new RegExp(`"signing":"${next}","published":\\["${next}","${first}"\\],"msg":"token keys reloaded"`));
    expect(portcullis.logs()).toMatch(new RegExp(`"signing":"${next}","published":\\["${next}"\\],"msg":"token keys reloaded"`));
  });
});
