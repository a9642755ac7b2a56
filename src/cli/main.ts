import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { addAdminCommands } from './admin-commands.js';
import { addAuditCommands } from './audit-commands.js';
import { addConfigCommands } from './config-check.js';
import { addOfflineAdminCommands } from './offline-admin.js';
import { addKeyCommands, addRegistryConfigCommand } from './keys.js';
import { addRobotCommands } from './robot-commands.js';
import { addSelfCommands } from './self-commands.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('token authentication service for container registries')
    .option('--url <url>', 'admin, whoami and passwd: service URL (PORTCULLIS_URL, default http://127.0.0.1:5001)')
    .option('--user <name>', 'admin, whoami and passwd: who logs in (PORTCULLIS_USER, default admin)')
    .option('--admin-password <password>', "admin, whoami and passwd: that user's password (prefer PORTCULLIS_PASSWORD)")
    .option('--json', 'list commands and whoami: print JSON')
    .version(packageVersion())
    .showHelpAfterError();
  program
    .command('serve')
    .description('run the token service')
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .action(async (o: { config?: string }) => {
      // Loaded only here: the admin commands should not pay for Fastify, pg and PGlite.
      const { startServer } = await import('../server.js');
      await startServer(await loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG));
    });
  addConfigCommands(program);
  addOfflineAdminCommands(program);
  addKeyCommands(program);
  addRegistryConfigCommand(program);
  addAdminCommands(program);
  addRobotCommands(program);
  addSelfCommands(program);
  addAuditCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
