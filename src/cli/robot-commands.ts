import type { Command } from 'commander';
import { seg } from './admin-client.js';
import { confirmOrRefuse, YES_HELP } from './confirm.js';
import { client } from './connection.js';
import { done, isJson, print, printJson } from './output.js';

const OUTPUTS = ['secret', 'dockerconfigjson', 'k8s-secret'] as const;
type Output = (typeof OUTPUTS)[number];

interface WithSecret {
  name: string;
  secret: string;
}

interface OutputOptions {
  output: string;
  registry?: string;
  namespace?: string;
  secretName?: string;
}

const CREATE_HELP = `
A project robot (--project) acts on its project only: --actions (default pull). A system robot
names its projects with --permission PROJECT:ACTIONS, repeatable; PROJECT * means every project:
  portcullis robot create ci --project team --actions pull,push
  portcullis robot create scanner --permission '*:pull'

The secret is printed once (--output secret), or as docker's config.json
(--output dockerconfigjson --registry HOST), or as a Kubernetes pull secret
(--output k8s-secret --registry HOST [--namespace NS] [--name NAME]):
  portcullis robot create ci --project team --output k8s-secret --registry reg.example.org | kubectl apply -f -`;

/** The login as docker keeps it: `{"auths":{"<registry>":{"auth":"<base64 user:secret>"}}}`. */
export function dockerConfigJson(registry: string, username: string, secret: string): string {
  return JSON.stringify({ auths: { [registry]: { auth: Buffer.from(`${username}:${secret}`).toString('base64') } } });
}

/** A Secret of type kubernetes.io/dockerconfigjson, as kubectl applies it (JSON is YAML). */
export function k8sSecret(opts: { registry: string; name: string; namespace?: string | undefined }, username: string, secret: string): string {
  const metadata = { name: opts.name, ...(opts.namespace ? { namespace: opts.namespace } : {}) };
  const data = { '.dockerconfigjson': Buffer.from(dockerConfigJson(opts.registry, username, secret)).toString('base64') };
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata, type: 'kubernetes.io/dockerconfigjson', data }, null, 2)}\n`;
}

/** A DNS-1123 name for the Secret when --name is not given: robot$team+ci -> robot-team-ci. */
const defaultSecretName = (robot: string) =>
  robot
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253);

function checkOutput(o: OutputOptions, cmd: Command): Output {
  // --json prints the robot with its secret; another format asked for as well is a contradiction.
  if (isJson() && cmd.getOptionValueSource('output') === 'cli' && o.output !== 'secret')
    throw new Error(`--json prints the robot with its secret as JSON; leave out --output ${o.output}`);
  const output = OUTPUTS.find((x) => x === o.output);
  if (!output) throw new Error(`--output must be one of ${OUTPUTS.join(', ')}`);
  if (output !== 'secret' && !o.registry) throw new Error(`--output ${output} needs --registry HOST`);
  return output;
}

function emit(output: Output, o: OutputOptions, robot: WithSecret): void {
  const registry = o.registry as string;
  if (isJson()) printJson(robot);
  else if (output === 'secret') done(robot.secret);
  else if (output === 'dockerconfigjson') done(dockerConfigJson(registry, robot.name, robot.secret));
  else process.stdout.write(k8sSecret({ registry, name: o.secretName ?? defaultSecretName(robot.name), namespace: o.namespace }, robot.name, robot.secret));
}

function withOutputOptions(cmd: Command): Command {
  return cmd
    .option('--output <format>', 'secret, dockerconfigjson or k8s-secret', 'secret')
    .option('--registry <host>', 'dockerconfigjson and k8s-secret: the registry host clients pull from')
    .option('--namespace <ns>', 'k8s-secret: the Secret namespace')
    .option('--name <name>', 'k8s-secret: the Secret name (default: from the robot name)');
}

function parsePermission(value: string, previous: { project: string; actions: string[] }[] = []) {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) throw new Error(`--permission expects PROJECT:ACTIONS, got "${value}"`);
  return [...previous, { project: value.slice(0, colon), actions: value.slice(colon + 1).split(',') }];
}

export function addRobotCommands(program: Command): void {
  const robot = program.command('robot').description('robot accounts: a secret instead of a password, for CI and clusters');
  withOutputOptions(
    robot
      .command('create <name>')
      .description('create a robot and print its secret (shown only now)')
      .option('--project <project>', 'a project robot of this project (robot$PROJECT+NAME)')
      .option('--actions <list>', 'with --project: pull, push, delete, comma-separated', 'pull')
      .option('--permission <project:actions>', 'a system robot: a permission, repeatable (* for every project)', parsePermission)
      .option('--description <text>', 'what it is for')
      .option('--expires-in-days <n>', 'days until it expires (default: never)', (v) => Number.parseInt(v, 10)),
  )
    .addHelpText('after', CREATE_HELP)
    .action(
      async (
        name: string,
        o: OutputOptions & {
          project?: string;
          actions: string;
          permission?: { project: string; actions: string[] }[];
          description?: string;
          expiresInDays?: number;
        },
        cmd: Command,
      ) => {
        const output = checkOutput(o, cmd);
        if (o.project && o.permission) throw new Error('--permission is for system robots; a project robot takes --actions');
        const permissions = o.project ? [{ project: o.project, actions: o.actions.split(',') }] : o.permission;
        if (!permissions) throw new Error('a system robot needs --permission PROJECT:ACTIONS (or give --project)');
        const body = { name, project: o.project, description: o.description, expiresInDays: o.expiresInDays, permissions };
        const created = await client(cmd).call<WithSecret>('POST', '/robots', body);
        if (!isJson()) process.stderr.write(`robot ${created.name} created; its secret is shown only now\n`);
        emit(output, o, created);
      },
    );
  withOutputOptions(robot.command('refresh <name>').description('replace the secret (the old one stops at once) and print the new one')).action(
    async (name: string, o: OutputOptions, cmd: Command) => {
      const output = checkOutput(o, cmd);
      const refreshed = await client(cmd).call<WithSecret>('POST', `/robots/${seg(name)}/refresh`, {});
      if (!isJson()) process.stderr.write(`robot ${refreshed.name} has a new secret; the old one no longer works\n`);
      emit(output, o, refreshed);
    },
  );
  robot
    .command('ls')
    .description('list robot accounts, without their secrets')
    .option('--project <project>', 'only the robots of this project')
    .action(async (o: { project?: string }, cmd: Command) => {
      const query = o.project ? `?project=${seg(o.project)}` : '';
      print(cmd, await client(cmd).call('GET', `/robots${query}`), ['name', 'project', 'disabled', 'expiresAt', 'lastUsedAt']);
    });
  robot
    .command('show <name>')
    .description('show a robot (JSON): permissions, expiry, last use; never the secret')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      printJson(await client(cmd).call('GET', `/robots/${seg(name)}`));
    });
  robot
    .command('disable <name>')
    .description("refuse the robot's logins until enabled again")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      done(`robot ${name} disabled`, await client(cmd).call<object>('PATCH', `/robots/${seg(name)}`, { disabled: true }));
    });
  robot
    .command('enable <name>')
    .description('let a disabled robot log in again')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      done(`robot ${name} enabled`, await client(cmd).call<object>('PATCH', `/robots/${seg(name)}`, { disabled: false }));
    });
  robot
    .command('rm <name>')
    .description('delete a robot: its secret stops working at once; asks first (--yes without a terminal)')
    .option('-y, --yes', YES_HELP)
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      await confirmOrRefuse(`remove robot ${name}`, o);
      await client(cmd).call('DELETE', `/robots/${seg(name)}`);
      done(`robot ${name} removed`, { removed: 'robot', name });
    });
}
