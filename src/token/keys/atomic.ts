import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes a file whole or not at all: the text goes to a temporary name beside it, then a rename
 * replaces the old file in one step. The service watching the directory never reads half a PEM.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // Always a new file, so `mode` applies (less what the umask takes away: serve runs with
    // 077), and a replaced key never keeps the looser mode of the file it replaces.
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
