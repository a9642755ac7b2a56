import { join } from 'node:path';
import { generateSigningKey } from '../../src/token/keys/generate.js';

/** Fresh ES256 key directories, each `keys-N` under the directory `root()` gives. */
export function keyDirs(root: () => { path: string }): () => Promise<string> {
  let n = 0;
  return async () => {
    const dir = join(root().path, `keys-${++n}`);
    await generateSigningKey({ dir, algorithm: 'ES256' });
    return dir;
  };
}
