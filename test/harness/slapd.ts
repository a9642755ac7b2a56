import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Authenticator } from '../../src/domain/authn.js';
import { LdapAuthenticator } from '../../src/auth/ldap.js';
import { openDirectory } from '../../src/backends/ldap/index.js';
import type { ClientFactory } from '../../src/backends/ldap/connection.js';
import type { UsersRepository } from '../../src/domain/repositories.js';
import type { UserRecord } from '../../src/domain/model.js';
import { resolveConfig } from '../../src/config/load.js';
import type { LdapSettings } from '../../src/config/ldap.js';
import type { Secret } from '../../src/domain/secret.js';
import { LDAP_BASE_DN, LDAP_PEOPLE_DN, LDAP_ROOT, LDAP_SERVICE, LDIF_FILES } from '../fixtures/ldap/index.js';
import { freePort, waitForPort } from './ports.js';
import { requireBinary, runOk, startDaemon, tempDir, type Daemon } from './proc.js';

/** A throwaway OpenLDAP with the fixtures loaded; everything lives in one temp directory. */
export interface Slapd {
  /** ldap:// (plain, or StartTLS) */
  url: string;
  /** ldaps:// */
  ldapsUrl: string;
  /** PEM file of the CA that signed slapd's certificate (CN localhost, SAN 127.0.0.1). */
  caFile: string;
  dir: string;
  /** Stops slapd (SIGTERM); the database stays for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Reads a cn=Monitor counter: monitor('cn=Total,cn=Connections'), monitor('cn=Bind,cn=Operations', 'monitorOpInitiated'). */
  monitor(entry: string, attribute?: string): Promise<number>;
  /** The identity (authzDN, '' when anonymous) each open connection is bound as, ours excluded. */
  connectionIdentities(): Promise<string[]>;
  /** Applies LDIF changes as the root account (ldapmodify). */
  modify(ldif: string): Promise<void>;
  /** Stops slapd and removes the directory. */
  close(): Promise<void>;
}

// Schemas are only read from the system; the config, database, keys and pid live in the temp dir.
const conf = (dir: string) => `
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.crt
TLSCertificateFile ${dir}/server.crt
TLSCertificateKeyFile ${dir}/server.key

database monitor
rootdn "${LDAP_ROOT.dn}"
access to * by dn.exact="${LDAP_ROOT.dn}" read by * none

database mdb
suffix "${LDAP_BASE_DN}"
rootdn "${LDAP_ROOT.dn}"
rootpw ${LDAP_ROOT.password}
directory ${dir}/db
maxsize 67108864
overlay memberof
# Like a real directory: anonymous may only bind; bound users read, nobody reads passwords.
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
`;

const CA_CNF = `[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = Portcullis Test LDAP CA
[ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

const SERVER_EXT = `basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
`;

async function makeCertificates(dir: string): Promise<void> {
  await writeFile(join(dir, 'ca.cnf'), CA_CNF);
  await writeFile(join(dir, 'server.ext'), SERVER_EXT);
  const o = (args: string[]) => runOk('openssl', args, { cwd: dir });
  await o(['req', '-x509', '-config', 'ca.cnf', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2']);
  await o(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  await o([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
}

/** Starts slapd on two free loopback ports and loads the LDIF fixtures with ldapadd. */
export async function startSlapd(): Promise<Slapd> {
  for (const bin of ['slapd', 'ldapadd', 'ldapmodify', 'ldapsearch', 'openssl']) await requireBinary(bin);
  const tmp = await tempDir('slapd');
  const dir = tmp.path;
  await mkdir(join(dir, 'db'));
  await makeCertificates(dir);
  await writeFile(join(dir, 'slapd.conf'), conf(dir));
  const [port, ldapsPort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  let daemon: Daemon | undefined;

  const start = async () => {
    // -d 0 keeps slapd in the foreground, so the pid we hold is slapd's own.
    const d = startDaemon('slapd', ['-f', join(dir, 'slapd.conf'), '-h', `${url}/ ${ldapsUrl}/`, '-d', '0'], { stopTimeoutMs: 3_000 });
    daemon = d;
    await Promise.race([
      Promise.all([waitForPort(port), waitForPort(ldapsPort)]),
      d.exited.then(() => {
        throw new Error(`slapd exited at start:\n${d.output()}`);
      }),
    ]);
  };
  const stop = async () => {
    await daemon?.stop();
    daemon = undefined;
  };
  const rootArgs = ['-x', '-H', url, '-D', LDAP_ROOT.dn, '-w', LDAP_ROOT.password];

  try {
    await start();
    for (const file of LDIF_FILES) await runOk('ldapadd', [...rootArgs, '-f', file]);
  } catch (err) {
    await stop();
    await tmp.remove();
    throw err;
  }

  return {
    url,
    ldapsUrl,
    caFile: join(dir, 'ca.crt'),
    dir,
    stop,
    start,
    monitor: async (entry, attribute = 'monitorCounter') => {
      const res = await runOk('ldapsearch', [...rootArgs, '-LLL', '-b', `${entry},cn=Monitor`, '-s', 'base', attribute]);
      const m = new RegExp(`${attribute}: (\\d+)`).exec(res.stdout);
      if (!m) throw new Error(`no ${attribute} in ${entry}:\n${res.stdout}`);
      return Number(m[1]);
    },
    connectionIdentities: async () => {
      const res = await runOk('ldapsearch', [
        ...rootArgs,
        '-LLL',
        '-o',
        'ldif-wrap=no',
        '-b',
        'cn=Connections,cn=Monitor',
        '-s',
        'one',
        '(objectClass=monitorConnection)',
        'monitorConnectionAuthzDN',
      ]);
      return [...res.stdout.matchAll(/^monitorConnectionAuthzDN:(.*)$/gm)].map((m) => (m[1] ?? '').trim()).filter((dn) => dn !== LDAP_ROOT.dn);
    },
    modify: async (ldif) => {
      await runOk('ldapmodify', rootArgs, { input: ldif });
    },
    close: async () => {
      await stop();
      await tmp.remove();
    },
  };
}

/** The `ldap` section as the config file would hold it. */
export type LdapSection = Record<string, unknown>;

/** Defaults applied and validated, as the app would see the `ldap` section. */
export const resolveLdap = (raw: LdapSection): LdapSettings => resolveConfig({ auth: { backends: ['ldap'] }, ldap: raw }).ldap as LdapSettings;

/** A real LdapAuthenticator on a real directory client, as the composition root builds it. */
export function ldapAuthenticator(raw: LdapSection, users: UsersRepository, createClient?: ClientFactory): LdapAuthenticator {
  const settings = resolveLdap(raw);
  return new LdapAuthenticator(openDirectory(settings, createClient ? { createClient } : {}), users, settings);
}

/** Portcullis's `ldap` config for search-then-bind against this slapd; extra keys replace top-level ones. */
export function searchModeConfig(slapd: Slapd, extra: Record<string, unknown> = {}): LdapSection {
  return {
    urls: [slapd.url],
    search: { bindDn: LDAP_SERVICE.dn, bindPassword: LDAP_SERVICE.password, baseDn: LDAP_PEOPLE_DN },
    ...extra,
  };
}

/** The same for a direct bind with a DN template (no service account). */
export function bindModeConfig(slapd: Slapd, extra: Record<string, unknown> = {}): LdapSection {
  return { urls: [slapd.url], bindDnTemplate: `uid={username},${LDAP_PEOPLE_DN}`, ...extra };
}

/**
 * Lets one test app try many LDAP configurations (an app costs seconds to build): register it as
 * the app's `ldap` authenticator, then `use()` a configuration; requests still go through the
 * real routes and chain to a real LdapAuthenticator.
 */
export class LdapSwitch implements Authenticator {
  readonly name = 'ldap';
  #current: LdapAuthenticator | undefined;

  async use(raw: LdapSection, users: UsersRepository): Promise<void> {
    await this.close();
    this.#current = ldapAuthenticator(raw, users);
  }

  authenticate(username: string, password: Secret) {
    if (!this.#current) throw new Error('LdapSwitch: call use() first');
    return this.#current.authenticate(username, password);
  }

  refresh(user: UserRecord) {
    if (!this.#current) throw new Error('LdapSwitch: call use() first');
    return this.#current.refresh(user);
  }

  async close(): Promise<void> {
    await this.#current?.close();
    this.#current = undefined;
  }
}
