import { X509Certificate } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { libtrustKeyId } from '../../../src/token/keys/kid.js';
import { loadKeySet, publishedCertificates } from '../../../src/token/keys/key-set.js';
import { parseCertificates } from '../../../src/token/keys/load.js';
import { ensureBundle } from '../../../src/token/keys/rotation-files.js';
import { keyStatus, promote, retire, retireRefusal, rotate } from '../../../src/token/keys/rotation.js';
import { keyDirs } from '../../helpers/keys.js';
import { useTempDir } from '../../helpers/temp.js';

const TTL = 300;
const tmp = useTempDir('rotation');
const freshDir = keyDirs(tmp);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (err: { code?: string }) => err.code,
  );
}

/** The kids bundle.pem holds, as the registry would read it. */
async function bundleKids(dir: string): Promise<string[]> {
  const certs = parseCertificates(await readFile(join(dir, 'bundle.pem'), 'utf8'), 'bundle.pem');
  return certs.map((c) => libtrustKeyId(c.publicKey));
}

describe('the keys directory through a rotation', () => {
  it('generate writes bundle.pem holding exactly token.crt', async () => {
    const dir = await freshDir();
    const [bundle, cert] = await Promise.all([readFile(join(dir, 'bundle.pem'), 'utf8'), readFile(join(dir, 'token.crt'), 'utf8')]);
    expect(new X509Certificate(bundle).fingerprint256).toBe(new X509Certificate(cert).fingerprint256);
    expect(await keyStatus(dir, TTL)).toMatchObject({ next: null, previous: null, promotedAt: null, retireAfter: null });
  });

  it('rotate -> promote -> retire: each step publishes what the registry must trust, and signs with one key', async () => {
    const dir = await freshDir();
    const first = (await keyStatus(dir, TTL)).signing;

    const rotated = await rotate(dir, TTL);
    expect(rotated.signing).toBe(first);
    expect(rotated.next).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(rotated.next).not.toBe(first);
    expect(rotated.published).toEqual([first, rotated.next]);
    expect(await bundleKids(dir)).toEqual([first, rotated.next]);
    expect((await stat(join(dir, 'next.key'))).mode & 0o777).toBe(0o600);
    expect(await codeOf(rotate(dir, TTL))).toBe('CONFIG_INVALID');

    const promoted = await promote(dir, TTL);
    expect(promoted).toMatchObject({ signing: rotated.next, next: null, previous: first });
    expect(await bundleKids(dir)).toEqual([rotated.next, first]);
    expect(Date.parse(promoted.retireAfter ?? '') - Date.parse(promoted.promotedAt ?? '')).toBe((TTL + 60) * 1000);
    expect((await stat(join(dir, 'token.key'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.startsWith('next.') || f.includes('.tmp-'))).toEqual([]);
    expect(await codeOf(promote(dir, TTL))).toBe('CONFIG_INVALID');

    // A second rotation may start while the previous key is still published; promoting it must wait.
    const again = await rotate(dir, TTL);
    expect(again.published).toEqual([rotated.next, again.next, first]);
    await expect(promote(dir, TTL)).rejects.toThrow(/still publishes a previous key .*retire it first/);

    await expect(retire(dir, TTL)).rejects.toThrow(/may be valid until .*s left; pass --force/);
    const retired = await retire(dir, TTL, { now: Date.parse(promoted.retireAfter ?? '') + 1 });
    expect(retired).toMatchObject({ signing: rotated.next, next: again.next, previous: null, promotedAt: null });
    expect(await bundleKids(dir)).toEqual([rotated.next, again.next]);
    expect((await readdir(dir)).filter((f) => f.startsWith('previous.'))).toEqual([]);
    expect(await codeOf(retire(dir, TTL))).toBe('CONFIG_INVALID');
  });

  it('retire waits out the token lifetime plus leeway from the promote, unless forced', async () => {
    const dir = await freshDir();
    await rotate(dir, TTL);
    const { promotedAt } = await promote(dir, TTL);
    const at = Date.parse(promotedAt ?? '');
    expect(await retireRefusal(dir, 60, at + 119_000)).toMatch(/1 s left/);
    expect(await retireRefusal(dir, 60, at + 120_000)).toBeUndefined();
    // No recorded promote time (rotation.json lost): only --force retires.
    await rm(join(dir, 'rotation.json'));
    expect(await retireRefusal(dir, 60, at + 10_000_000)).toMatch(/no promote time is recorded/);
    expect((await retire(dir, 60, { force: true })).previous).toBeNull();
  });

  it('a single-key directory from before rotation keeps working; its bundle.pem is written once', async () => {
    const dir = await freshDir();
    await rm(join(dir, 'bundle.pem'));
    const set = await loadKeySet(dir, 'ES256');
    expect(publishedCertificates(set).map((c) => c.fingerprint256)).toEqual(set.current.chain.map((c) => c.fingerprint256));
    expect(await ensureBundle(dir)).toBe(true);
    expect(await ensureBundle(dir)).toBe(false);
    expect(await bundleKids(dir)).toEqual([set.current.kid]);
  });

  it.each([
    ['next.crt', 'next.key', /next\.key has no certificate beside it/],
    ['previous.key', 'previous.crt', /previous\.crt has no private key beside it/],
  ])('half a %s pair is an error, never ignored', async (remove, _kept, message) => {
    const dir = await freshDir();
    await rotate(dir, TTL);
    if (remove.startsWith('previous')) await promote(dir, TTL);
    await rm(join(dir, remove));
    await expect(loadKeySet(dir)).rejects.toThrow(message);
  });

  it('a next certificate that is not its key’s is refused', async () => {
    const dir = await freshDir();
    await rotate(dir, TTL);
    await writeFile(join(dir, 'next.crt'), await readFile(join(dir, 'token.crt')));
    await expect(loadKeySet(dir)).rejects.toThrow(/next\.crt does not belong to .*next\.key/);
  });
});
