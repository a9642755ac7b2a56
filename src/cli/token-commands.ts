import type { Command } from 'commander';
import { seg } from './admin-client.js';
import { client } from './admin-commands.js';
import { done, isJson, print, printJson } from './output.js';
import { dockerConfigJson } from './robot-commands.js';

interface CreatedToken {
  id: number;
  owner: string;
  name: string;
  token: string;
}

const CREATE_HELP = `
The token is your password for registry clients, with your username; it may do what you may do,
narrowed to --project and --actions, and stops at --expires-in-days (default 90; -1: never):
  portcullis --user carol token create laptop --project team --actions pull,push
  echo "$TOKEN" | docker login reg.example.org -u carol --password-stdin
Log in with your password (PORTCULLIS_PASSWORD), not with a token, to manage tokens.`;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addTokenCommands(program: Command): void {
  const token = program.command('token').description('personal access tokens: pcp_ passwords for registry clients, limited and expiring');
  token
    .command('create <name>')
    .description('create a token for the user you log in as (--user) and print it (shown only now)')
    .option('--project <project>', 'a project the token may reach, repeatable (default: every project you can reach)', collect)
    .option('--actions <list>', 'pull, push, delete, comma-separated (default: all three, as far as you may)')
    .option('--expires-in-days <n>', 'days until it expires; -1: never (default 90)', (v) => Number.parseInt(v, 10))
    .option('--output <format>', 'token (just the token) or dockerconfigjson (needs --registry)', 'token')
    .option('--registry <host>', 'dockerconfigjson: the registry host clients use')
    .addHelpText('after', CREATE_HELP)
    .action(async (name: string, o: { project?: string[]; actions?: string; expiresInDays?: number; output: string; registry?: string }, cmd: Command) => {
      if (o.output !== 'token' && o.output !== 'dockerconfigjson') throw new Error('--output must be token or dockerconfigjson');
      if (o.output === 'dockerconfigjson' && !o.registry) throw new Error('--output dockerconfigjson needs --registry HOST');
      // --json prints the token's record with the token; another format as well is a contradiction.
      if (isJson() && o.output !== 'token') throw new Error(`--json prints the token as JSON; leave out --output ${o.output}`);
      const body = { name, projects: o.project, actions: o.actions?.split(','), expiresInDays: o.expiresInDays };
      const created = await client(cmd, { whose: 'your' }).call<CreatedToken>('POST', '/me/tokens', body);
      if (isJson()) return printJson(created);
      process.stderr.write(`token ${created.name} (id ${created.id}) created for ${created.owner}; it is shown only now\n`);
      done(o.output === 'token' ? created.token : dockerConfigJson(o.registry as string, created.owner, created.token));
    });
  token
    .command('ls')
    .description("list your tokens; a system admin may list another user's (--owner) or everyone's (--all)")
    .option('--owner <user>', "that user's tokens (system admins)")
    .option('--all', "every user's tokens (system admins)")
    .action(async (o: { owner?: string; all?: boolean }, cmd: Command) => {
      const path = o.all ? '/tokens' : o.owner ? `/users/${seg(o.owner)}/tokens` : '/me/tokens';
      const rows = await client(cmd, { whose: 'your' }).call<Record<string, unknown>[]>('GET', path);
      if (isJson()) return printJson(rows);
      const shown = rows.map((r) => ({
        ...r,
        projects: r.projects === null ? '*' : (r.projects as string[]).join(','),
        actions: (r.actions as string[]).join(','),
      }));
      print(cmd, shown, ['id', 'owner', 'name', 'projects', 'actions', 'expiresAt', 'lastUsedAt']);
    });
  token
    .command('rm <id>')
    .description('revoke a token by id (see token ls); it stops working at once')
    .option('--owner <user>', "revoke another user's token (system admins)")
    .action(async (id: string, o: { owner?: string }, cmd: Command) => {
      if (!/^[1-9][0-9]{0,8}$/.test(id)) throw new Error(`token id must be a number from token ls, got "${id}"`);
      const path = o.owner ? `/users/${seg(o.owner)}/tokens/${id}` : `/me/tokens/${id}`;
      await client(cmd, { whose: 'your' }).call('DELETE', path);
      done(`token ${id} revoked`, { removed: 'token', id: Number(id) });
    });
}
