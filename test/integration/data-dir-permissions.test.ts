import { chmod, cp, lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/backends/store.js';
import type { Logger } from '../../src/domain/logger.js';
import { startServer } from '../../src/server.js';
import { generateSigningKey } from '../../src/token/keys/generate.js';
import { testConfig } from '../helpers/app.js';
import { tempDir } from '../harness/proc.js';

/**
 * Issue 8: the embedded store was readable and writable by every local user. Tests run as root,
 * which no mode stops, so they look at the modes themselves: what another user could do follows
 * from them.
 */

interface Tree {
  entries: number;
  /** What anyone but the owner may read, write or enter, as `path mode`. */
  exposed: string[];
}

async function scan(path: string, tree: Tree = { entries: 0, exposed: [] }): Promise<Tree> {
  const st = await lstat(path);
  tree.entries++;
  if (st.mode & 0o077) tree.exposed.push(`${path} ${(st.mode & 0o7777).toString(8)}`);
  if (st.isDirectory()) for (const name of await readdir(path)) await scan(join(path, name), tree);
  return tree;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

/** Sets every directory under `dir` to `dirMode` and every file to `fileMode`, as older versions left them. */
async function loosen(dir: string, dirMode: number, fileMode: number): Promise<number> {
  let n = 1;
  await chmod(dir, dirMode);
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.isDirectory()) n += await loosen(join(dir, d.name), dirMode, fileMode);
    else {
      await chmod(join(dir, d.name), fileMode);
      n++;
    }
  }
  return n;
}

function recordingLogger(): Logger & { warnings: { obj: object; msg?: string | undefined }[] } {
  const warnings: { obj: object; msg?: string | undefined }[] = [];
  const ignore = () => undefined;
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

describe('the embedded store on disk', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let dataDir: string;
  /** A data directory holding a copy of a migrated store, as an earlier start left it. */
  const existingStore = () => cp(inject('pgliteTemplate'), join(dataDir, 'db'), { recursive: true });
  const open = (logger?: Logger) => openStore({ database: testConfig().database, dataDir, ...(logger ? { logger } : {}) });

  beforeEach(async () => {
    tmp = await tempDir('data-dir-permissions');
    dataDir = join(tmp.path, 'data');
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('is created private: the data directory 0700, no file or directory open to anyone else, open or closed', async () => {
    const store = await open();
    try {
      expect(await modeOf(dataDir)).toBe(0o700);
      const whileOpen = await scan(dataDir);
      expect(whileOpen.exposed).toEqual([]);
    } finally {
      await store.close();
    }
    const closed = await scan(dataDir);
    expect(closed.entries).toBeGreaterThan(900);
    expect(closed.exposed).toEqual([]);
  });

  it('repairs the 0666 files and 0755 directories an older version left, with one warning and no secret in it', async () => {
    await existingStore();
    const loosened = (await loosen(join(dataDir, 'db'), 0o755, 0o666)) + 1;
    await chmod(dataDir, 0o755);
    const logger = recordingLogger();
    const store = await open(logger);
    await store.close();
    expect((await scan(dataDir)).exposed).toEqual([]);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.obj).toEqual({ dir: join(dataDir, 'db'), entries: loosened });
    expect(logger.warnings[0]?.msg).toMatch(/other local users could read/);
  });

  it('repairs a group-writable data directory: the group is an administrator’s grant, often the owner’s alone', async () => {
    await existingStore();
    await chmod(dataDir, 0o770);
    const logger = recordingLogger();
    const store = await open(logger);
    await store.close();
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(logger.warnings).toHaveLength(1);
  });

  it('opens an already private store without a warning', async () => {
    await (await open()).close();
    const logger = recordingLogger();
    await (await open(logger)).close();
    expect(logger.warnings).toEqual([]);
  });

  it.each([
    ['the data directory', '', 0o757, '0757'],
    ['the data directory (sticky, like /tmp)', '', 0o1777, '01777'],
    ['a directory inside the store', 'db/base', 0o777, '0777'],
  ])('refuses to start, changing nothing, when %s is writable by every user', async (_, sub, mode, shown) => {
    await existingStore();
    await loosen(join(dataDir, 'db'), 0o755, 0o666);
    const loose = join(dataDir, sub);
    await chmod(loose, mode);
    const store = open();
    await expect(store).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const message = await store.then(
      () => '',
      (err: Error) => err.message,
    );
    expect(message).toContain(`${loose} is writable by every local user (mode ${shown})`);
    expect(message).toContain(`chmod -R go-rwx ${loose}`);
    expect(await modeOf(loose)).toBe(mode);
    expect(await modeOf(join(dataDir, 'db/global/pg_control'))).toBe(0o666);
  });
});

describe('the signing key directory', () => {
  it('is created 0700, parents included', async () => {
    const tmp = await tempDir('keys-permissions');
    try {
      const dir = join(tmp.path, 'etc', 'certs');
      await generateSigningKey({ dir, algorithm: 'ES256' });
      expect(await modeOf(join(tmp.path, 'etc'))).toBe(0o700);
      expect(await modeOf(dir)).toBe(0o700);
      expect(await modeOf(join(dir, 'token.key'))).toBe(0o600);
    } finally {
      await tmp.remove();
    }
  });
});

describe('a first start of the service', () => {
  it('leaves its store, keys and everything in them private to its user, whatever the umask it was started with', async () => {
    const tmp = await tempDir('serve-permissions');
    const umask = process.umask(0o022);
    try {
      const keysDir = join(tmp.path, 'certs');
      const app = await startServer(testConfig({ listen: '127.0.0.1:0', token: { keysDir } }, join(tmp.path, 'data')), { logger: false });
      try {
        expect((await scan(join(tmp.path, 'data'))).exposed).toEqual([]);
      } finally {
        await app.close();
      }
      expect((await scan(join(tmp.path, 'data'))).exposed).toEqual([]);
      expect((await scan(keysDir)).exposed).toEqual([]);
    } finally {
      process.umask(umask);
      await tmp.remove();
    }
  });
});
