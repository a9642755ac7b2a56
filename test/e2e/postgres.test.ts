import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type Postgres } from '../harness/postgres.js';
import { registryClientSuite } from './helpers/suite.js';

let postgres: Postgres;
let url = '';
beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase('portcullis_e2e');
});
afterAll(async () => {
  await postgres?.destroy();
});

// Identity tokens off: docker keeps the password and every request is a Basic GET.
registryClientSuite('real registry and clients, PostgreSQL store', { databaseUrl: () => url, identityTokens: false });
