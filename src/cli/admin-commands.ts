import type { Command } from 'commander';
import { addProjectCommands } from './project-commands.js';
import { addUserCommands } from './user-commands.js';

// Where the command files of the API found these before they had modules of their own.
export { client } from './connection.js';
export { done, print } from './output.js';

/** The admin commands: users, projects and members of a running service, through /api/v1. */
export function addAdminCommands(program: Command): void {
  addUserCommands(program);
  addProjectCommands(program);
}
