import type { Command } from 'commander';
import { LdapAuthenticator } from '../auth/ldap.js';
import { permittedActions } from '../auth/permissions.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Directory, DirectoryUser } from '../domain/authn.js';
import { BackendUnavailableError } from '../domain/errors.js';
import type { Identity, UserRecord } from '../domain/model.js';
import type { Store, UsersRepository } from '../domain/repositories.js';
import { Secret } from '../domain/secret.js';
import { isJson, print, printJson } from './output.js';
import { readStdin, terminal } from './prompt.js';

interface ProjectGrant {
  project: string;
  roles: string[];
  via: string[];
  actions: string[];
}

interface Report {
  username: string;
  dn: string | null;
  bind: 'ok' | 'not tried';
  groups: string[];
  admin: boolean;
  adminVia: string[];
  projects: ProjectGrant[] | null;
  projectsError?: string;
}

const LDAP_TEST_HELP = `
Reads the configuration, talks to the directory as \`serve\` would (the same LDAP client and
authenticator), and reads the projects from the store. Without a password the service account
looks the user up; with --password (asked on the terminal) or --password-stdin, the user's own
bind is tested too, as a login would. Nothing is written: a user who never logged in is not
recorded. On the embedded store the projects can be read only while \`serve\` is stopped.`;

/**
 * The store's users as the authenticator sees them, minus the write: a directory user who never
 * logged in gets a row for this run only.
 */
function readOnlyUsers(users: UsersRepository | undefined): UsersRepository {
  const phantom = (username: string): UserRecord => {
    const now = new Date();
    return { id: -1, username, passwordHash: null, source: 'ldap', admin: false, disabled: false, createdAt: now, updatedAt: now };
  };
  const find = async (name: string) => (users ? users.find(name) : null);
  return {
    find,
    findCaseless: async (name) => (users ? users.findCaseless(name) : null),
    ensureExternal: async (name) => (await find(name)) ?? phantom(name),
    lookAlikes: async () => [],
    list: async () => [],
    count: async () => 0,
    countActiveAdmins: async () => 0,
    create: () => Promise.reject(new TypeError('ldap test writes nothing')),
    update: () => Promise.reject(new TypeError('ldap test writes nothing')),
    delete: () => Promise.reject(new TypeError('ldap test writes nothing')),
  };
}

/** Remembers what the directory said about the user (their DN) on its way to the authenticator. */
function recording(directory: Directory): { directory: Directory; seen: () => DirectoryUser | undefined } {
  let seen: DirectoryUser | undefined;
  return {
    seen: () => seen,
    directory: {
      login: async (username, password) => {
        const result = await directory.login(username, password);
        if (result.kind === 'ok') seen = result.user;
        return result;
      },
      lookUp: async (username) => {
        const user = await directory.lookUp(username);
        seen = user ?? undefined;
        return user;
      },
      close: () => directory.close(),
    },
  };
}

async function identify(config: Config, directory: Directory, users: UsersRepository, username: string, password: string | undefined) {
  const ldap = config.ldap as NonNullable<Config['ldap']>;
  const rec = recording(directory);
  // No cache: every run asks the directory.
  const authenticator = new LdapAuthenticator(rec.directory, users, { ...ldap, cacheTtlSeconds: 0 });
  const row = await users.find(username);
  if (row && row.source !== 'ldap') throw new Error(`${username} is a ${row.source} user of Portcullis: logins by that name never reach the directory`);
  if (row?.disabled) throw new Error(`${username} is disabled in Portcullis (portcullis user enable ${username}): the directory is not asked`);
  let identity: Identity | null;
  if (password === undefined) {
    identity = await authenticator.refresh(await users.ensureExternal(username, 'ldap'));
    if (!identity) throw new Error(`the directory has no user ${username} (the service account searched for it)`);
  } else {
    const outcome = await authenticator.authenticate(username, new Secret(password));
    if (outcome.kind === 'unknown') throw new Error(`the directory has no user ${username}`);
    if (outcome.kind === 'denied') throw new Error(`the directory found ${username} but refused the password (or the entry is outside ldap.search.filter)`);
    identity = outcome.identity;
  }
  const dn = rec.seen()?.dn ?? null;
  if (dn === null && password === undefined) throw new Error('there is no service account (ldap.search.bindDn) to look the user up with: test with --password');
  return { identity, dn };
}

/** What the memberships give: the permission model's own answer, and the members that give it. */
async function grants(store: Store, identity: Identity): Promise<ProjectGrant[]> {
  const projects = await store.projects.list();
  const userId = identity.userId > 0 ? identity.userId : null;
  const access = await store.projects.accessFor(
    userId,
    identity.groups,
    projects.map((p) => p.name),
  );
  const groups = new Set(identity.groups.map((g) => g.toLowerCase()));
  const out: ProjectGrant[] = [];
  for (const p of projects) {
    const actions = [...permittedActions({ admin: identity.admin, anonymous: false }, p.name, access.get(p.name))];
    if (actions.length === 0) continue;
    const members = (await store.projects.members(p.name)).filter((m) =>
      m.principal.kind === 'user' ? m.principal.name === identity.username : groups.has(m.principal.name.toLowerCase()),
    );
    const via = members.map((m) => (m.principal.kind === 'group' ? `group:${m.principal.name}` : 'user'));
    if (identity.admin) via.push('system admin');
    if (p.public) via.push('public');
    out.push({ project: p.name, roles: members.map((m) => m.role), via, actions });
  }
  return out;
}

async function ldapTest(username: string, o: { config?: string; password?: boolean; passwordStdin?: boolean }): Promise<Report> {
  const config = await loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG);
  if (!config.ldap) throw new Error('the configuration has no ldap section');
  const password = o.passwordStdin ? await readStdin() : o.password ? (await terminal().hidden(`LDAP password of ${username}: `))[0] : undefined;
  if (password === '') throw new Error('empty password');
  // Loaded only here: the other commands should not pay for the store's drivers.
  const { openDirectoryFor, openOfflineStore } = await import('../services.js');
  const directory = await openDirectoryFor(config);
  let store: Store | undefined;
  let storeError: string | undefined;
  try {
    const refused = await directory.checkServiceAccount();
    if (refused) throw new Error(refused);
    store = await openOfflineStore(config).catch((err: Error) => {
      storeError = `projects not read: ${err.message}`;
      return undefined;
    });
    const { identity, dn } = await identify(config, directory, readOnlyUsers(store?.users), username, password);
    const adminGroups = new Set(config.ldap.adminGroups.map((g) => g.toLowerCase()));
    const adminVia = identity.groups.filter((g) => adminGroups.has(g.toLowerCase())).map((g) => `group:${g}`);
    if ((await store?.users.find(identity.username))?.admin) adminVia.push('admin flag in the store');
    return {
      username: identity.username,
      dn,
      bind: password === undefined ? 'not tried' : 'ok',
      groups: identity.groups,
      admin: identity.admin,
      adminVia,
      projects: store ? await grants(store, identity) : null,
      ...(storeError ? { projectsError: storeError } : {}),
    };
  } finally {
    await directory.close();
    await store?.close();
  }
}

function printReport(r: Report): void {
  if (isJson()) {
    printJson(r);
    return;
  }
  const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(8)}${v}\n`);
  line('user', r.username);
  line('dn', r.dn ?? '(not read: no service account)');
  line('bind', r.bind === 'ok' ? 'ok: the directory accepted the password' : 'not tried (give --password to test it)');
  line('groups', r.groups.length ? r.groups.join(', ') : '(none)');
  line('admin', r.admin ? `yes, through ${r.adminVia.join(', ')}` : 'no');
  process.stdout.write('\n');
  if (!r.projects) process.stdout.write(`${r.projectsError}\n`);
  else if (r.projects.length === 0) process.stdout.write('no project gives this user anything\n');
  else
    print(
      undefined,
      r.projects.map((p) => ({ ...p, roles: p.roles.join(',') || '-', via: p.via.join(','), actions: p.actions.join(',') })),
      ['project', 'roles', 'via', 'actions'],
    );
}

export function addLdapCommands(program: Command): void {
  const ldap = program.command('ldap').description('the directory (LDAP) as Portcullis sees it, with the service stopped or running');
  ldap
    .command('test <username>')
    .description('look a directory user up as a login would: DN, groups, admin, and the projects and roles their memberships give')
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .option('--password', "test the user's bind too: the password is asked on the terminal")
    .option('--password-stdin', "test the user's bind too, with the password read from stdin")
    .addHelpText('after', LDAP_TEST_HELP)
    .action(async (username: string, o: { config?: string; password?: boolean; passwordStdin?: boolean }) => {
      try {
        printReport(await ldapTest(username, o));
      } catch (err) {
        // "ldap is unavailable" says little: the cause names the server and what went wrong.
        if (err instanceof BackendUnavailableError && err.cause instanceof Error) throw new Error(`the directory could not be asked: ${err.cause.message}`);
        throw err;
      }
    });
}
