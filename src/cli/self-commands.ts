import type { Command } from 'commander';
import { client } from './connection.js';
import { done, isJson, print, printJson } from './output.js';
import { promptHidden, readStdin } from './prompt.js';

interface Me {
  username: string;
  admin: boolean;
  source: string;
  groups: string[];
}

interface PasswordChange {
  oldPassword: string;
  newPassword: string;
}

const PASSWD_HELP = `
The user is the connection's (--user, PORTCULLIS_USER). It asks on the terminal for the
current password and for the new one twice. Without --admin-password or PORTCULLIS_PASSWORD,
the current password given here logs in too.

With --password-stdin, stdin holds two lines: the current password, then the new one
(so neither password may contain a line break):
  printf '%s\\n%s\\n' "$OLD" "$NEW" | portcullis --user alice passwd --password-stdin

Directory (LDAP) users change their password in the directory.`;

/** Commands any user may run on their own account: whoami, passwd. */
export function addSelfCommands(program: Command): void {
  program
    .command('whoami')
    .description('show the user the connection logs in as (--user, PORTCULLIS_USER): name, admin flag, source, directory groups')
    .action(async (_o: unknown, cmd: Command) => {
      const me = await client(cmd, { whose: 'your' }).call<Me>('GET', '/me');
      if (isJson()) printJson(me);
      else print(cmd, [{ ...me, groups: me.groups.join(',') }], ['username', 'admin', 'source', 'groups']);
    });
  program
    .command('passwd')
    .description('change your own password; your identity tokens (docker logins) are revoked')
    .option('--password-stdin', 'read the current and the new password from stdin, one per line')
    .addHelpText('after', PASSWD_HELP)
    .action(async (o: { passwordStdin?: boolean }, cmd: Command) => {
      const change = o.passwordStdin ? twoLines(await readStdin()) : await askOnTerminal();
      await client(cmd, { whose: 'your', fallbackPassword: change.oldPassword }).call('PUT', '/me/password', change);
      done('password changed; your identity tokens are revoked, so docker logins must log in again', { passwordChanged: true });
    });
}

function twoLines(input: string): PasswordChange {
  const lines = input.split(/\r?\n/);
  if (lines.length !== 2 || !lines[0] || !lines[1]) throw new Error('--password-stdin expects two lines: the current password, then the new one');
  return { oldPassword: lines[0], newPassword: lines[1] };
}

async function askOnTerminal(): Promise<PasswordChange> {
  const [oldPassword, newPassword, again] = await promptHidden('Current password: ', 'New password: ', 'New password again: ');
  if (!oldPassword || !newPassword) throw new Error('empty password');
  if (again !== newPassword) throw new Error('the new passwords differ');
  return { oldPassword, newPassword };
}
