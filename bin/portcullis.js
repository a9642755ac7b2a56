#!/usr/bin/env node
import { availableParallelism } from 'node:os';

// bcrypt and token signing share libuv's thread pool (4 threads by default). Size it before
// anything uses it, so a busy password queue always leaves threads for signing.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() + 2));

const { main } = await import('../dist/cli/main.js');
main(process.argv).catch((err) => {
  process.stderr.write(`portcullis: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
