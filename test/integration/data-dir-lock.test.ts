import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/backends/store.js';
import { freePort } from '../harness/ports.js';
import { run, startDaemon, untilReady } from '../harness/proc.js';
import { useTempDir } from '../helpers/temp.js';

const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');
const database = { poolSize: 1, connectTimeoutMs: 1000, statementTimeoutMs: 1000 };

describe('one process per embedded data directory', () => {
  const tmp = useTempDir('lock');

  it('a second store on the same directory is refused, naming the directory and the holder; free again once closed', async () => {
    const dataDir = join(tmp().path, 'a');
    const first = await openStore({ database, dataDir });
    try {
      await expect(openStore({ database, dataDir })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(new RegExp(`${dataDir} is in use by another Portcullis process \\(pid ${process.pid} `)),
      });
    } finally {
      await first.close();
    }
    const again = await openStore({ database, dataDir });
    await again.close();
  });

  it('a lock left by a process that died does not block the next start', async () => {
    const dataDir = join(tmp().path, 'b');
    await (await openStore({ database, dataDir })).close();
    // A pid no process has (the kernel's maximum is far below 2^30).
    await writeFile(
      join(dataDir, 'portcullis.lock'),
      JSON.stringify({ pid: 2 ** 30, host: (await import('node:os')).hostname(), since: '2020-01-01T00:00:00Z' }),
    );
    const store = await openStore({ database, dataDir });
    await store.close();
  });

  it('two `serve` processes: the second exits at once with the reason, the first keeps serving', async () => {
    const dataDir = join(tmp().path, 'c');
    const env = (port: number) => ({
      PATH: process.env.PATH,
      PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_KEYS_DIR: join(tmp().path, 'certs'),
      PORTCULLIS_ADMIN_PASSWORD: 'lock-admin-password',
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    const port = await freePort();
    const first = startDaemon(process.execPath, [BIN, 'serve'], { env: env(port), cwd: tmp().path });
    try {
      await untilReady(`http://127.0.0.1:${port}`, first.exited, 'first serve');
      const second = await run(process.execPath, [BIN, 'serve'], { env: env(await freePort()), cwd: tmp().path, timeoutMs: 30_000 });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`${dataDir} is in use by another Portcullis process (pid ${first.child.pid}`);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).ok).toBe(true);
    } finally {
      await first.stop();
    }
  });
});
