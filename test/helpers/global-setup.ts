import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { resolveConfig } from '../../src/config/load.js';
import { openStore } from '../../src/backends/store.js';
import { generateSigningKey } from '../../src/token/keys/generate.js';
import { tempDir } from '../harness/proc.js';

/**
 * Runs once per test run: a migrated embedded database to copy (PGlite's initdb takes seconds,
 * a copy a fraction of that) and a signing key pair every test app can share.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await tempDir('suite');
  const config = resolveConfig({ dataDir: `${root.path}/template` });
  const store = await openStore(config);
  await store.close();
  await generateSigningKey({ dir: `${root.path}/keys`, algorithm: 'ES256' });
  project.provide('pgliteTemplate', `${root.path}/template/db`);
  project.provide('keysDir', `${root.path}/keys`);
  return async () => {
    await rm(root.path, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    keysDir: string;
  }
}
