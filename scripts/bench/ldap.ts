import { stringify } from 'yaml';
import { LDAP_USERS } from '../../test/fixtures/ldap/index.js';
import { searchModeConfig, startSlapd } from '../../test/harness/slapd.js';
import type { Cleanup } from './cleanup.js';
import type { LdapFigures } from './figures.js';
import { runLoad } from './load.js';
import { startPortcullis } from './portcullis-process.js';
import { basic, TOKEN_PATH } from './seed.js';

/**
 * LDAP logins with the cache off: every token request is a directory login (search with the
 * warm service-account pool, the user's own bind, the group read), against the test slapd.
 */
export async function measureLdap(dir: string, keysDir: string, seconds: number, connections: number, cleanup: Cleanup): Promise<LdapFigures> {
  const slapd = await startSlapd();
  cleanup.add('slapd', () => slapd.close());
  const ldap = searchModeConfig(slapd, { cacheTtlSeconds: 0 });
  const portcullis = await startPortcullis({ dir, keysDir, configYaml: stringify({ auth: { backends: ['local', 'ldap'] }, ldap }) }, cleanup);
  cleanup.add('portcullis (ldap)', () => portcullis.daemon.stop());
  const auth = basic('alice', LDAP_USERS.alice.password);
  // Warms the pool: the figure is for logins after the first.
  await runLoad({ url: portcullis.url + TOKEN_PATH, authorization: auth, connections, seconds: 1 });
  const load = await runLoad({ url: portcullis.url + TOKEN_PATH, authorization: auth, connections, seconds });
  await portcullis.daemon.stop();
  await slapd.close();
  return { connections, seconds, loginsPerSec: load.tokensPerSec, p50Ms: load.p50Ms, p99Ms: load.p99Ms, non200: load.non200, errors: load.errors };
}
