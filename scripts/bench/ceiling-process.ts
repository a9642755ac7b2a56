import { resolve } from 'node:path';
import { freePort } from '../../test/harness/ports.js';
import type { Cleanup } from './cleanup.js';
import type { CeilingSigner } from './options.js';
import type { Target } from './target.js';
import { startTimed } from './timed-start.js';

const REPO = resolve(import.meta.dirname, '../..');
const VITE_NODE = resolve(REPO, 'node_modules/vite-node/vite-node.mjs');

export interface CeilingSettings {
  keysDir: string;
  service: string;
  username: string;
  password: string;
  signer: CeilingSigner;
}

/** Starts ceiling.ts in a child of its own, so it never shares an event loop with the load. */
export async function startCeiling(settings: CeilingSettings, cleanup: Cleanup): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    CEILING_PORT: String(port),
    CEILING_KEYS_DIR: settings.keysDir,
    CEILING_SERVICE: settings.service,
    CEILING_USER: settings.username,
    CEILING_PASSWORD: settings.password,
    CEILING_SIGNER: settings.signer,
  };
  const { daemon } = await startTimed(
    'ceiling',
    process.execPath,
    [VITE_NODE, resolve(import.meta.dirname, 'ceiling.ts')],
    { env, cwd: REPO },
    `${url}/healthz`,
    cleanup,
  );
  cleanup.add('ceiling', () => daemon.stop());
  return { name: 'ceiling', url, pid: daemon.child.pid };
}
