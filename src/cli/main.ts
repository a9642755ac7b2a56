import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config/load.js';
import { addAdminCommands } from './admin-commands.js';
import { addAuditCommands } from './audit-commands.js';
import { addCompletionCommand } from './completion.js';
import { addConfigCommands } from './config-check.js';
import { DEFAULT_URL } from './connection.js';
import { describeEnvironment } from './help.js';
import { addKeyCommands, addRegistryConfigCommand } from './keys.js';
import { addLdapCommands } from './ldap-test.js';
import { addOfflineAdminCommands } from './offline-admin.js';
import { isJson, reportError, setJsonMode } from './output.js';
import { closeTerminal } from './prompt.js';
import { addRobotCommands } from './robot-commands.js';
import { addSelfCommands } from './self-commands.js';
import { addTokenCommands } from './token-commands.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const JSON_HELP = 'print the result as JSON on stdout, and a failure as {"error": "..."} on stderr (exit code 1)';

export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('token authentication service for container registries')
    .option('--url <url>', `API commands: the service URL with http:// or https:// (PORTCULLIS_URL, default ${DEFAULT_URL})`)
    .option('--user <name>', 'API commands: who logs in (PORTCULLIS_USER, default admin)')
    .option('--admin-password <password>', "API commands: that user's password (prefer PORTCULLIS_PASSWORD; asked on a terminal when neither is set)")
    .option('--json', JSON_HELP)
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    // Inherited by every command added below: errors come back here, to be reported in one format.
    .exitOverride()
    // With --json, the parse error is reported as JSON by run(), without the help text after it.
    .configureOutput({ writeErr: (text) => (isJson() ? undefined : process.stderr.write(text)) })
    .showHelpAfterError()
    .hook('preAction', (_root, action) => setJsonMode(action.optsWithGlobals<{ json?: boolean }>().json === true));
  program
    .command('serve')
    .description('run the token service (stops cleanly on SIGTERM or SIGINT)')
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .action(async (o: { config?: string }) => {
      // Loaded only here: the admin commands should not pay for Fastify, pg and PGlite.
      const { startServer } = await import('../server.js');
      await startServer(await loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG));
    });
  addConfigCommands(program);
  addOfflineAdminCommands(program);
  addLdapCommands(program);
  addKeyCommands(program);
  addRegistryConfigCommand(program);
  addAdminCommands(program);
  addRobotCommands(program);
  addSelfCommands(program);
  addAuditCommands(program);
  addTokenCommands(program);
  addCompletionCommand(program);
  describeEnvironment(program);
  return program;
}

/**
 * Runs the command line; a failure is reported (as text, or as JSON with --json) and the exit
 * code set, never thrown. Resolves to the exit code.
 */
export async function run(argv: string[]): Promise<number> {
  // Until the options are parsed (a parse error comes first), --json anywhere decides.
  setJsonMode(argv.includes('--json'));
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      if (err.exitCode === 0) return 0;
      if (isJson()) reportError(new Error(err.message.replace(/^error: /, '')));
      return err.exitCode || 1;
    }
    reportError(err);
    return 1;
  } finally {
    closeTerminal();
  }
}

export async function main(argv: string[]): Promise<void> {
  const code = await run(argv);
  if (code !== 0) process.exitCode = code;
}
