import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { Secret } from '../domain/secret.js';
import { done } from './output.js';
import { readStdin, terminal } from './prompt.js';

/** A new password twice on a terminal, or once from stdin. */
async function newPassword(fromStdin: boolean, username: string): Promise<string> {
  if (fromStdin) return readStdin();
  return terminal().newPassword(`New password for ${username}: `);
}

export function addOfflineAdminCommands(program: Command): void {
  const admin = program.command('admin').description('commands that work on the store directly, with the service stopped');
  admin
    .command('reset-password [username]')
    .description(
      "set a local user's password without the API, e.g. for an admin who lost the generated one (default: admin.username). " +
        "Reads the store the config names (PORTCULLIS_DATA_DIR or PORTCULLIS_DATABASE_URL); on the embedded store stop `serve` first. Revokes the user's identity tokens.",
    )
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .option('--password-stdin', 'read the new password from stdin instead of asking twice on the terminal')
    .action(async (name: string | undefined, o: { config?: string; passwordStdin?: boolean }) => {
      const config = await loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG);
      const username = name ?? config.admin.username;
      const password = await newPassword(o.passwordStdin ?? false, username);
      // Loaded only here: the other commands should not pay for the store's drivers.
      const { createOfflineAdmin } = await import('../services.js');
      const { admin: service, close } = await createOfflineAdmin(config);
      try {
        await service.updateUser(username, { password: new Secret(password) });
      } finally {
        await close();
      }
      done(`password of ${username} reset; its identity tokens are revoked`, { username, passwordReset: true });
    });
}
