import { execFile } from 'node:child_process';
import { access, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from '../../domain/logger.js';
import { dataExceptionToInvalid, type Queryable, type SqlClient } from './client.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import { makeStorePrivate } from './data-dir-permissions.js';

type PGliteLike = {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  transaction<T>(fn: (tx: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/**
 * postgresql.conf for the embedded server, written by PGlite at every start. The token hot path
 * reads an in-memory snapshot, not the database, so a small buffer pool costs nothing that
 * matters; PostgreSQL's default (128 MB of shared_buffers) alone would double the RSS.
 */
const EMBEDDED_CONF = [
  'shared_buffers = 8MB',
  'wal_buffers = 256kB',
  'max_connections = 4',
  'timezone = UTC',
  'log_timezone = UTC',
  "datestyle = 'iso, mdy'",
  'lc_messages = C',
];

/**
 * Opens the embedded database in `dataDir/db`, private to this user (see makeStorePrivate); the
 * module is loaded only when it is used.
 */
export async function openEmbedded(dataDir: string, logger?: Logger): Promise<SqlClient> {
  const dir = resolve(dataDir, 'db');
  const exposed = await makeStorePrivate(dataDir);
  if (exposed > 0) logger?.warn({ dir, entries: exposed }, 'made the embedded store private: other local users could read or write its files');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(dataDir);
  try {
    return await openLocked(dataDir, dir, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function openLocked(dataDir: string, dir: string, lock: DataDirLock): Promise<SqlClient> {
  // PGlite is the only WebAssembly here. V8's baseline compiler alone starts it in half the time
  // and with 50 MB less code than tiering up to the optimising one; its queries are off the hot path.
  setFlagsFromString('--liftoff-only');
  if (!(await exists(join(dir, 'PG_VERSION')))) await createDataDir(dir);
  const { PGlite } = await import('@electric-sql/pglite');
  const db = (await PGlite.create(dir, { postgresqlconf: EMBEDDED_CONF })) as unknown as PGliteLike;
  // Past the umask: initdb's files, the template's (cp keeps modes), and what PGlite's start rewrote.
  await makeStorePrivate(dataDir).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  const wrap = (q: PGliteLike | Parameters<Parameters<PGliteLike['transaction']>[0]>[0]): Queryable => ({
    query: async <R extends object>(text: string, params: readonly unknown[] = []) => {
      try {
        return (await q.query<R>(text, [...params])).rows;
      } catch (err) {
        throw dataExceptionToInvalid(err);
      }
    },
  });
  return {
    kind: 'embedded',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: async () => {
      await db.close();
      await makeStorePrivate(dataDir);
      await lock.release();
    },
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * A new embedded database: a copy of the empty cluster `npm run build` prepared (a tenth of a
 * second), or else PGlite's initdb (a few seconds).
 */
async function createDataDir(dir: string): Promise<void> {
  const template = await usableTemplate();
  if (template) await cp(template, dir, { recursive: true });
  else await initInChildProcess(dir);
}

/** Prepares the empty cluster that first starts copy; a no-op when it matches this PGlite. */
export async function buildTemplate(dir = TEMPLATE_DIR): Promise<void> {
  if (await usableTemplate(dir)) return;
  await rm(dir, { recursive: true, force: true });
  await initInChildProcess(dir);
  await writeFile(join(dir, TEMPLATE_STAMP), pgliteVersion());
}

const TEMPLATE_DIR = fileURLToPath(new URL('../../embedded-template', import.meta.url));
const TEMPLATE_STAMP = 'portcullis-template-of-pglite';

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = require(join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json')) as { version: string };
  return pkg.version;
}

/** The template, when it exists and was made by the PGlite installed now. */
async function usableTemplate(dir = TEMPLATE_DIR): Promise<string | undefined> {
  const stamp = await readFile(join(dir, TEMPLATE_STAMP), 'utf8').catch(() => undefined);
  return stamp === pgliteVersion() ? dir : undefined;
}

/**
 * Runs PGlite's initdb in a short-lived child process. WebAssembly memory never shrinks, and
 * initdb grows it to several hundred MB; done in-process, the server would keep that for life.
 */
async function initInChildProcess(dir: string): Promise<void> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `const { PGlite } = require(${JSON.stringify(entry)});
    PGlite.create(process.argv[1], { postgresqlconf: JSON.parse(process.argv[2]) }).then((db) => db.close())
      .catch((err) => { console.error(err.message); process.exit(1); });`;
  try {
    await promisify(execFile)(process.execPath, ['--liftoff-only', '-e', script, dir, JSON.stringify(EMBEDDED_CONF)], { timeout: 120_000 });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`could not create the embedded database in ${dir}: ${detail}`);
  }
}
