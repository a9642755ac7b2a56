import type { Command } from 'commander';
import { DEFAULT_PROJECT, ROLES, type Role } from '../domain/model.js';
import { seg } from './admin-client.js';
import { confirmOrRefuse, YES_HELP } from './confirm.js';
import { client } from './connection.js';
import { done, print, warn } from './output.js';
import { parseBool } from './user-commands.js';

const ROLE_HELP = 'admin and maintainer: pull, push, delete; developer: pull, push; guest and limitedGuest: pull';

/** The role as the API spells it; an unknown one is refused with the list, before any request. */
export function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value) ?? ROLES.find((r) => r.toLowerCase() === value.toLowerCase());
  if (!role) throw new Error(`unknown role "${value}"; valid roles: ${ROLES.join(', ')}`);
  return role;
}

const LIBRARY_CONSEQUENCES = [
  `${DEFAULT_PROJECT} is the project of every repository named without a slash (\`docker pull nginx\` means ${DEFAULT_PROJECT}/nginx): ` +
    'removing it deletes its memberships and robots, and nobody can pull or push those repositories until a project ' +
    `${DEFAULT_PROJECT} is created again (the images stay in the registry)`,
];

export function addProjectCommands(program: Command): void {
  const project = program.command('project').description('manage projects: a repository belongs to the project named by its first path segment');
  project
    .command('create <name>')
    .description('create a project (private unless --public)')
    .option('--public', 'anyone may pull, anonymous users included')
    .action(async (name: string, o: { public?: boolean }, cmd: Command) => {
      const created = await client(cmd).call('POST', '/projects', { name, public: o.public ?? false });
      done(`project ${name} created`, created as object);
    });
  project
    .command('ls')
    .description('list every project')
    .action(async (_o: unknown, cmd: Command) => {
      print(cmd, await client(cmd).call('GET', '/projects'), ['name', 'public', 'createdAt']);
    });
  project
    .command('rm <name>')
    .description('delete a project with its memberships and robots (not its images); asks first (--yes without a terminal)')
    .option('-y, --yes', YES_HELP)
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      const warnings = name === DEFAULT_PROJECT ? LIBRARY_CONSEQUENCES : [];
      await confirmOrRefuse(`remove project ${name}`, o, warnings);
      await client(cmd).call('DELETE', `/projects/${seg(name)}`);
      done(`project ${name} removed`, { removed: 'project', name, ...(warnings.length ? { warnings } : {}) });
    });
  project
    .command('public <name> <bool>')
    .description('make a project public (true: anyone may pull) or private (false)')
    .action(async (name: string, value: string, _o: unknown, cmd: Command) => {
      const changed = await client(cmd).call<{ public: boolean }>('PATCH', `/projects/${seg(name)}`, { public: parseBool(value) });
      done(`project ${name} public=${changed.public}`, changed);
    });

  const member = program.command('member').description('project members: a username, or group:NAME for a directory group');
  member
    .command('set <project> <principal> <role>')
    .description(`add a member or change their role. ${ROLE_HELP}. A group:NAME the directory does not know is set, with a warning`)
    .action(async (p: string, who: string, value: string, _o: unknown, cmd: Command) => {
      const role = parseRole(value);
      const set = await client(cmd).call<{ warning?: string }>('PUT', `/projects/${seg(p)}/members/${seg(who)}`, { role });
      if (set.warning) warn(set.warning);
      done(`${who} is ${role} of ${p}`, { project: p, ...set });
    });
  member
    .command('rm <project> <principal>')
    .description('remove a member (a username or group:NAME)')
    .action(async (p: string, who: string, _o: unknown, cmd: Command) => {
      await client(cmd).call('DELETE', `/projects/${seg(p)}/members/${seg(who)}`);
      done(`${who} removed from ${p}`, { removed: 'member', project: p, member: who });
    });
  member
    .command('ls <project>')
    .description("list a project's members and their roles")
    .action(async (p: string, _o: unknown, cmd: Command) => {
      print(cmd, await client(cmd).call('GET', `/projects/${seg(p)}/members`), ['kind', 'name', 'role']);
    });
}
