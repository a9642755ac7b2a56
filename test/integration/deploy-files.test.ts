/** docker-compose itself must accept the shipped compose file; what the files say is checked in test/unit/config/shipped-files.test.ts. */
import { describe, expect, it } from 'vitest';
import { requireBinary, run } from '../harness/proc.js';

describe('shipped configuration', () => {
  it('docker-compose.yml passes `docker-compose config`', async () => {
    await requireBinary('docker-compose');
    const res = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { env: { ...process.env, PORTCULLIS_ADMIN_PASSWORD: 'x' } });
    expect(res.code, res.stderr).toBe(0);
  });
});
