import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/backends/store.js';
import type { Logger } from '../../src/domain/logger.js';
import { freePort } from '../harness/ports.js';
import { usePostgres } from '../helpers/stores.js';

const postgres = usePostgres();

/** A logger that keeps each line's fields and message. */
function recording(): { logger: Logger; lines: { fields: object; msg?: string }[] } {
  const lines: { fields: object; msg?: string }[] = [];
  const keep = (fields: object, msg?: string) => void lines.push({ fields, msg });
  return { lines, logger: { debug: keep, info: keep, warn: keep, error: keep } };
}

const open = (url: string, startupWaitSeconds: number, logger?: Logger) =>
  openStore({ database: { url, poolSize: 2, connectTimeoutMs: 500, statementTimeoutMs: 1000, startupWaitSeconds }, dataDir: '/nonexistent', logger });

describe('a database that cannot be used at start', () => {
  it('names host, port and "connection refused" on every retry line, and gives up after startupWaitSeconds', async () => {
    const port = await freePort();
    const { logger, lines } = recording();
    const started = Date.now();
    await expect(open(`postgres://portcullis:secret-pw@127.0.0.1:${port}/portcullis`, 2, logger)).rejects.toThrow(
      `cannot use PostgreSQL at 127.0.0.1:${port}: connection refused; gave up after 2 s (database.startupWaitSeconds)`,
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line.fields).toMatchObject({ host: '127.0.0.1', port, cause: 'connection refused' });
      expect(JSON.stringify(line)).not.toContain('secret-pw');
    }
  });

  it('fails at once when the host name does not resolve', async () => {
    const started = Date.now();
    await expect(open('postgres://u@no-such-host.invalid:5432/db', 30)).rejects.toThrow(
      /no-such-host\.invalid:5432: DNS lookup failed: no such host; retrying cannot help/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails at once when the database does not exist', async () => {
    const url = postgres().url('no_such_database');
    const started = Date.now();
    await expect(open(url, 30)).rejects.toThrow(/no such database; retrying cannot help/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
