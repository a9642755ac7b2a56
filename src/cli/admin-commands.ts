import type { Command } from 'commander';
import { AdminClient, seg } from './admin-client.js';
import { readPassword } from './prompt.js';

interface Conn {
  url?: string;
  user?: string;
  adminPassword?: string;
  json?: boolean;
}

/**
 * The API client of the global connection options. `fallbackPassword` logs in when neither
 * --admin-password nor PORTCULLIS_PASSWORD is set (passwd has just been given the password).
 */
export function client(cmd: Command, opts: { whose?: string; fallbackPassword?: string } = {}): AdminClient {
  const o = cmd.optsWithGlobals<Conn>();
  const password = (o.adminPassword ?? process.env.PORTCULLIS_PASSWORD) || opts.fallbackPassword;
  if (!password) throw new Error(`${opts.whose ?? 'admin'} password needed: set PORTCULLIS_PASSWORD or pass --admin-password`);
  return new AdminClient({
    url: o.url ?? process.env.PORTCULLIS_URL ?? 'http://127.0.0.1:5001',
    user: o.user ?? process.env.PORTCULLIS_USER ?? 'admin',
    password,
  });
}

/** Prints rows as aligned columns, or as JSON with --json. */
export function print(cmd: Command, rows: Record<string, unknown>[], columns: string[]): void {
  if (cmd.optsWithGlobals<Conn>().json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => columns.map((c) => String(r[c] ?? '')))];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd()}\n`,
    );
}

export const done = (msg: string) => process.stdout.write(`${msg}\n`);

function parseBool(value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new Error(`expected true or false, got "${value}"`);
}

export function addAdminCommands(program: Command): void {
  const user = program.command('user').description('manage local users');
  user
    .command('add <name>')
    .option('--admin', 'make a system admin')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, o: { admin?: boolean; passwordStdin?: boolean }, cmd: Command) => {
      const password = await readPassword(o.passwordStdin ?? false, `Password for ${name}: `);
      await client(cmd).call('POST', '/users', { username: name, password, admin: o.admin ?? false });
      done(`user ${name} created`);
    });
  user
    .command('passwd <name>')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, o: { passwordStdin?: boolean }, cmd: Command) => {
      const password = await readPassword(o.passwordStdin ?? false, `New password for ${name}: `);
      await client(cmd).call('PATCH', `/users/${seg(name)}`, { password });
      done(`password of ${name} changed; its identity tokens are revoked`);
    });
  user.command('disable <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('PATCH', `/users/${seg(name)}`, { disabled: true });
    done(`user ${name} disabled`);
  });
  user.command('enable <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('PATCH', `/users/${seg(name)}`, { disabled: false });
    done(`user ${name} enabled`);
  });
  user
    .command('admin <name> <bool>')
    .description('grant or revoke system admin')
    .action(async (name: string, value: string, _o: unknown, cmd: Command) => {
      await client(cmd).call('PATCH', `/users/${seg(name)}`, { admin: parseBool(value) });
      done(`user ${name} admin=${parseBool(value)}`);
    });
  user
    .command('revoke-tokens <name>')
    .description("revoke the user's identity tokens (docker logins)")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { revoked } = await client(cmd).call<{ revoked: number }>('DELETE', `/users/${seg(name)}/identity-tokens`);
      done(`${revoked} identity token(s) of ${name} revoked`);
    });
  user.command('rm <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('DELETE', `/users/${seg(name)}`);
    done(`user ${name} removed`);
  });
  user.command('ls').action(async (_o: unknown, cmd: Command) => {
    print(cmd, await client(cmd).call('GET', '/users'), ['username', 'admin', 'disabled', 'source', 'createdAt']);
  });

  const project = program.command('project').description('manage projects');
  project
    .command('create <name>')
    .option('--public', 'anyone may pull')
    .action(async (name: string, o: { public?: boolean }, cmd: Command) => {
      await client(cmd).call('POST', '/projects', { name, public: o.public ?? false });
      done(`project ${name} created`);
    });
  project.command('ls').action(async (_o: unknown, cmd: Command) => {
    print(cmd, await client(cmd).call('GET', '/projects'), ['name', 'public', 'createdAt']);
  });
  project.command('rm <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('DELETE', `/projects/${seg(name)}`);
    done(`project ${name} removed`);
  });
  project.command('public <name> <bool>').action(async (name: string, value: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('PATCH', `/projects/${seg(name)}`, { public: parseBool(value) });
    done(`project ${name} public=${parseBool(value)}`);
  });

  const member = program.command('member').description('project members: a username, or group:NAME for a directory group');
  member
    .command('set <project> <principal> <role>')
    .description('role: admin, maintainer, developer, guest, limitedGuest')
    .action(async (p: string, who: string, role: string, _o: unknown, cmd: Command) => {
      await client(cmd).call('PUT', `/projects/${seg(p)}/members/${seg(who)}`, { role });
      done(`${who} is ${role} of ${p}`);
    });
  member.command('rm <project> <principal>').action(async (p: string, who: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('DELETE', `/projects/${seg(p)}/members/${seg(who)}`);
    done(`${who} removed from ${p}`);
  });
  member.command('ls <project>').action(async (p: string, _o: unknown, cmd: Command) => {
    print(cmd, await client(cmd).call('GET', `/projects/${seg(p)}/members`), ['kind', 'name', 'role']);
  });
}
