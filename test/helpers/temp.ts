import { afterAll, beforeAll } from 'vitest';
import { tempDir } from '../harness/proc.js';

type TempDir = Awaited<ReturnType<typeof tempDir>>;

/** A temp dir for the calling file's tests, made before them and removed after. */
export function useTempDir(prefix: string): () => TempDir {
  let dir: TempDir | undefined;
  beforeAll(async () => {
    dir = await tempDir(prefix);
  });
  afterAll(async () => {
    await dir?.remove();
  });
  return () => {
    if (!dir) throw new Error('the temp dir is made in beforeAll: use it inside a test');
    return dir;
  };
}
