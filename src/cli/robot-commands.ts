import type { Command } from 'commander';
import { seg } from './admin-client.js';
import { client, done, print } from './admin-commands.js';

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

function checkOutput(o: OutputOptions): Output {
  const output = OUTPUTS.find((x) => x === o.output);
  if (!output) throw new Error(`--output must be one of ${OUTPUTS.join(', ')}`);
  if (output !== 'secret' && !o.registry) throw new Error(`--output ${output} needs --registry HOST`);
  return output;
}

function emit(output: Output, o: OutputOptions, robot: WithSecret): void {
  const registry = o.registry as string;
  if (output === 'secret') done(robot.secret);
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
        const output = checkOutput(o);
        if (o.project && o.permission) throw new Error('--permission is for system robots; a project robot takes --actions');
        const permissions = o.project ? [{ project: o.project, actions: o.actions.split(',') }] : o.permission;
        if (!permissions) throw new Error('a system robot needs --permission PROJECT:ACTIONS (or give --project)');
        const body = { name, project: o.project, description: o.description, expiresInDays: o.expiresInDays, permissions };
        const created = await client(cmd).call<WithSecret>('POST', '/robots', body);
        process.stderr.write(`robot ${created.name} created; its secret is shown only now\n`);
        emit(output, o, created);
      },
    );
  withOutputOptions(robot.command('refresh <name>').description('replace the secret (the old one stops at once) and print the new one')).action(
    async (name: string, o: OutputOptions, cmd: Command) => {
      const output = checkOutput(o);
      const refreshed = await client(cmd).call<WithSecret>('POST', `/robots/${seg(name)}/refresh`, {});
      process.stderr.write(`robot ${refreshed.name} has a new secret; the old one no longer works\n`);
      emit(output, o, refreshed);
    },
  );
  robot
    .command('ls')
    .option('--project <project>', 'only the robots of this project')
    .action(async (o: { project?: string }, cmd: Command) => {
      const query = o.project ? `?project=${seg(o.project)}` : '';
      print(cmd, await client(cmd).call('GET', `/robots${query}`), ['name', 'project', 'disabled', 'expiresAt', 'lastUsedAt']);
    });
  robot.command('show <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    process.stdout.write(`${JSON.stringify(await client(cmd).call('GET', `/robots/${seg(name)}`), null, 2)}\n`);
  });
  robot.command('disable <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('PATCH', `/robots/${seg(name)}`, { disabled: true });
    done(`robot ${name} disabled`);
  });
  robot.command('enable <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('PATCH', `/robots/${seg(name)}`, { disabled: false });
    done(`robot ${name} enabled`);
  });
  robot.command('rm <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    await client(cmd).call('DELETE', `/robots/${seg(name)}`);
    done(`robot ${name} removed`);
  });
}
