import { randomBytes } from 'node:crypto';
import { chmod, rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes a file whole or not at all: the text goes to a temporary name beside it, then a rename
 * replaces the old file in one step. The service watching the directory never reads half a PEM.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data, { mode });
    // writeFile's mode is filtered by the umask; a private key must end up 0600 whatever it is.
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
