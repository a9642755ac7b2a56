import { registryClientSuite } from './helpers/suite.js';

// Identity tokens on: docker's login stores one and every later push and pull uses the
// refresh grant, across a Portcullis restart.
registryClientSuite('real registry and clients, embedded store', { identityTokens: true });
