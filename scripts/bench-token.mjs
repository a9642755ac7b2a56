#!/usr/bin/env node
// Token endpoint throughput with and without the credential cache, on the embedded store with
// bcrypt cost 10 (the default). Prints requests per second and their ratio; not a test.
//   npm run build && npm run bench [-- N]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../dist/app.js';
import { resolveConfig } from '../dist/config/load.js';
import { generateSigningKey } from '../dist/token/keys/generate.js';

const N = Number(process.argv[2] ?? 200);
const root = await mkdtemp(join(tmpdir(), 'portcullis-bench-'));
await generateSigningKey({ dir: join(root, 'certs'), algorithm: 'ES256' });
const auth = `Basic ${Buffer.from('alice:alice-password').toString('base64')}`;
const url = '/token?service=registry&scope=repository:team/app:pull,push&scope=repository:library/base:pull';

async function run(label, cacheTtlSeconds, dataDir) {
  const config = resolveConfig({
    dataDir,
    token: { keysDir: join(root, 'certs') },
    admin: { password: 'bench-admin-password' },
    auth: { cacheTtlSeconds },
    log: { level: 'silent' },
  });
  const app = await buildApp(config, { logger: false });
  const admin = { authorization: `Basic ${Buffer.from('admin:bench-admin-password').toString('base64')}` };
  await app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload: { username: 'alice', password: 'alice-password' } });
  await app.inject({ method: 'POST', url: '/api/v1/projects', headers: admin, payload: { name: 'team' } });
  await app.inject({ method: 'PUT', url: '/api/v1/projects/team/members/alice', headers: admin, payload: { role: 'developer' } });
  const once = () => app.inject({ url, headers: { authorization: auth } });
  if ((await once()).statusCode !== 200) throw new Error(`${label}: token request failed`);
  const t0 = process.hrtime.bigint();
  // Eight in flight, as a busy registry's clients would be.
  for (let done = 0; done < N; done += 8) await Promise.all(Array.from({ length: Math.min(8, N - done) }, once));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await app.close();
  const rate = N / seconds;
  console.log(`${label.padEnd(24)} ${rate.toFixed(0).padStart(6)} tokens/s  (${N} requests, ${((seconds * 1000) / N).toFixed(2)} ms each)`);
  return rate;
}

try {
  const cached = await run('credential cache on', 300, join(root, 'a'));
  const uncached = await run('credential cache off', 0, join(root, 'b'));
  console.log(`ratio cached/uncached: ${(cached / uncached).toFixed(1)}x`);
} finally {
  await rm(root, { recursive: true, force: true });
}
