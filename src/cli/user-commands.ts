import type { Command } from 'commander';
import { seg } from './admin-client.js';
import { confirmOrRefuse, YES_HELP } from './confirm.js';
import { client } from './connection.js';
import { done, isJson, print, printJson } from './output.js';
import { readPassword } from './prompt.js';

interface UserView {
  username: string;
  admin: boolean;
  disabled: boolean;
  source: string;
  createdAt: string;
  updatedAt: string;
  memberships?: { project: string; role: string }[];
}

export function parseBool(value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new Error(`expected true or false, got "${value}"`);
}

/** What removing or disabling the account the CLI logs in as does to whoever runs it. */
function selfConsequence(name: string, api: { user: string }, what: 'remove' | 'disable'): string[] {
  if (name !== api.user) return [];
  const after = what === 'remove' ? 'log in as another system admin from now on' : `another system admin can undo it with \`portcullis user enable ${name}\``;
  return [`you are logged in as ${name}: to ${what} it ends your own access with this command; ${after}`];
}

export function addUserCommands(program: Command): void {
  const user = program.command('user').description('manage users: local accounts, and directory (LDAP) users once they have logged in');
  user
    .command('add <name>')
    .description('create a local user; the password is asked twice on a terminal')
    .option('--admin', 'make a system admin')
    .option('--password-stdin', 'read the password from stdin (one line)')
    .action(async (name: string, o: { admin?: boolean; passwordStdin?: boolean }, cmd: Command) => {
      const api = client(cmd);
      await api.login();
      const password = await readPassword(o.passwordStdin ?? false, `Password for ${name}: `, true);
      const created = await api.call<UserView>('POST', '/users', { username: name, password, admin: o.admin ?? false });
      done(`user ${name} created`, created);
    });
  user
    .command('passwd <name>')
    .description("set a local user's password (asked twice on a terminal); revokes their identity tokens")
    .option('--password-stdin', 'read the password from stdin (one line)')
    .action(async (name: string, o: { passwordStdin?: boolean }, cmd: Command) => {
      const api = client(cmd);
      await api.login();
      const password = await readPassword(o.passwordStdin ?? false, `New password for ${name}: `, true);
      const changed = await api.call<UserView>('PATCH', `/users/${seg(name)}`, { password });
      done(`password of ${name} changed; its identity tokens are revoked`, changed);
    });
  user
    .command('show <name>')
    .description('show a user: admin flag, source, whether disabled, and their direct project memberships')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const shown = await client(cmd).call<UserView>('GET', `/users/${seg(name)}`);
      if (isJson()) {
        printJson(shown);
        return;
      }
      const { memberships = [], ...fields } = shown;
      print(cmd, [fields], ['username', 'admin', 'disabled', 'source', 'createdAt']);
      process.stdout.write(memberships.length ? '\n' : '\nno direct project memberships\n');
      if (memberships.length) print(cmd, memberships, ['project', 'role']);
    });
  user
    .command('disable <name>')
    .description('refuse every login of the user and revoke their identity tokens; disabling yourself asks first')
    .option('-y, --yes', YES_HELP)
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      const api = client(cmd);
      const warnings = selfConsequence(name, api, 'disable');
      if (warnings.length) await confirmOrRefuse(`disable user ${name}`, o, warnings);
      const changed = await api.call<UserView>('PATCH', `/users/${seg(name)}`, { disabled: true });
      done(`user ${name} disabled`, { ...changed, ...(warnings.length ? { warnings } : {}) });
    });
  user
    .command('enable <name>')
    .description('let a disabled user log in again')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const changed = await client(cmd).call<UserView>('PATCH', `/users/${seg(name)}`, { disabled: false });
      done(`user ${name} enabled`, changed);
    });
  user
    .command('admin <name> <bool>')
    .description('grant (true) or revoke (false) system admin')
    .action(async (name: string, value: string, _o: unknown, cmd: Command) => {
      const changed = await client(cmd).call<UserView>('PATCH', `/users/${seg(name)}`, { admin: parseBool(value) });
      done(`user ${name} admin=${changed.admin}`, changed);
    });
  user
    .command('revoke-tokens <name>')
    .description("revoke the user's identity tokens (docker logins)")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { revoked } = await client(cmd).call<{ revoked: number }>('DELETE', `/users/${seg(name)}/identity-tokens`);
      done(`${revoked} identity token(s) of ${name} revoked`, { username: name, revoked });
    });
  user
    .command('rm <name>')
    .description('delete a user with their memberships and identity tokens; asks first (--yes without a terminal)')
    .option('-y, --yes', YES_HELP)
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      const api = client(cmd);
      const warnings = selfConsequence(name, api, 'remove');
      await confirmOrRefuse(`remove user ${name}`, o, warnings);
      await api.call('DELETE', `/users/${seg(name)}`);
      done(`user ${name} removed`, { removed: 'user', name, ...(warnings.length ? { warnings } : {}) });
    });
  user
    .command('ls')
    .description('list every user')
    .action(async (_o: unknown, cmd: Command) => {
      print(cmd, await client(cmd).call('GET', '/users'), ['username', 'admin', 'disabled', 'source', 'createdAt']);
    });
}
