import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { pollUntil, startDaemon, untilReady } from '../harness/proc.js';
import { useTempDir } from '../helpers/temp.js';

const REPO = resolve(import.meta.dirname, '../..');

describe('npm start', () => {
  const tmp = useTempDir('npm-start');

  it('execs its way down to the server, so SIGTERM to npm stops the server (no orphan keeps serving)', async () => {
    // `npm start` is `build && exec npm run serve`; the build is npm test's job here, so run the
    // serve half directly: the same npm -> exec -> node chain a SIGTERM has to travel down.
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/&& exec npm run --silent serve$/);
    expect(pkg.scripts.serve).toMatch(/^exec node bin\/portcullis\.js serve$/);
    const port = await freePort();
    const npm = startDaemon('npm', ['run', '--silent', 'serve'], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: tmp().path,
        PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
        PORTCULLIS_DATA_DIR: join(tmp().path, 'data'),
        PORTCULLIS_KEYS_DIR: join(tmp().path, 'certs'),
        PORTCULLIS_ADMIN_PASSWORD: 'npm-start-password',
        PORTCULLIS_LOG_LEVEL: 'warn',
      },
    });
    try {
      await untilReady(`http://127.0.0.1:${port}`, npm.exited, 'npm run serve');
      npm.child.kill('SIGTERM');
      // An orphaned server would keep answering here.
      await pollUntil(
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(
            () => false,
            () => true,
          ),
        undefined,
        'the server to stop serving',
        10_000,
        100,
      );
    } finally {
      await npm.stop();
    }
  });
});
