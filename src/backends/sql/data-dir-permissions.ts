import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../domain/errors.js';

/** The group and other bits: what anyone but the owner may read, write or enter. */
const NOT_OWNER = 0o077;
const WORLD_WRITABLE = 0o002;

interface Entry {
  path: string;
  mode: number;
  isDir: boolean;
}

/**
 * Makes the embedded store private to the user the service runs as: `dataDir` itself (created
 * 0700 when missing) and everything under `dataDir/db` lose their group and other bits. Returns
 * how many entries it had to change.
 *
 * The umask alone cannot do this. PGlite's Emscripten file system chmods every file it creates
 * to the mode PostgreSQL asked for, past the process umask: its initdb leaves 0666 files (the
 * WAL and pg_control among them), and every start rewrites pg_internal.init as 0644. So the
 * store is tightened before it is opened, after, and after it is closed.
 *
 * Throws ConfigError, having changed nothing, when `dataDir` or a directory under `dataDir/db`
 * is writable by every user: anyone could have replaced the files in it, or planted a symlink
 * there, and tightening the modes would bless what they left. Everything else is repaired.
 * Group-writable directories among them: the group is one an administrator granted, and a
 * umask of 002 (Debian's and Ubuntu's user private groups) gives every directory older
 * versions made to a group holding only their owner, so refusing would stop upgrades for no
 * one's protection. World-writable files as well: older versions made every file 0666, so
 * refusing them would stop every upgrade, and with no directory writable by others, nobody
 * else can have created, replaced or linked them, only written to them.
 */
export async function makeStorePrivate(dataDir: string): Promise<number> {
  const root = resolve(dataDir);
  const top = await ifExists(stat(root));
  if (!top) {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return 0;
  }
  const entries = [{ path: root, mode: top.mode, isDir: true }, ...(await walk(join(root, 'db')))];
  const open = entries.find((e) => e.isDir && e.mode & WORLD_WRITABLE);
  if (open) {
    throw new ConfigError(
      `refusing to start: ${open.path} is writable by every local user (mode ${octal(open.mode)}), so anyone could have read or replaced the embedded database in it. Check its contents, then run: chmod -R go-rwx ${open.path}`,
    );
  }
  let changed = 0;
  for (const e of entries.filter((x) => x.mode & NOT_OWNER)) {
    await chmod(e.path, e.mode & 0o7777 & ~NOT_OWNER).then(
      () => changed++,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw new ConfigError(`cannot make ${e.path} private to its owner: ${err.message}`);
      },
    );
  }
  return changed;
}

/**
 * `path` and, for a directory, everything under it; nothing when it does not exist. Symlinks
 * inside are left alone (chmod would follow them), and so is the inside of a directory that
 * makes the start fail anyway.
 */
async function walk(path: string, found: Entry[] = [], look: typeof lstat = stat): Promise<Entry[]> {
  const st = await ifExists(look(path));
  if (!st || st.isSymbolicLink()) return found;
  found.push({ path, mode: st.mode, isDir: st.isDirectory() });
  if (st.isDirectory() && !(st.mode & WORLD_WRITABLE)) {
    for (const name of (await ifExists(readdir(path))) ?? []) await walk(join(path, name), found, lstat);
  }
  return found;
}

/** PostgreSQL removes temporary files at any time, between a listing and a look at an entry too. */
const ifExists = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });

const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
