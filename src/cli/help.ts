import type { Command } from 'commander';
import { CONFIG_ENV } from '../config/load.js';
import { DEFAULT_URL } from './connection.js';

const CONNECTION = [
  ['PORTCULLIS_URL', `the service URL, http:// or https:// (default ${DEFAULT_URL}); --url`],
  ['PORTCULLIS_USER', 'who logs in (default admin); --user'],
  ['PORTCULLIS_PASSWORD', "that user's password; --admin-password; asked on a terminal when neither is set"],
] as const;

const CONFIG = [['PORTCULLIS_CONFIG', 'the configuration file; --config'], ...CONFIG_ENV.map((e) => [e.name, `sets ${e.key}`] as const)] as const;

/** Groups whose commands talk to a running service through /api/v1. */
const API_GROUPS = new Set(['user', 'project', 'member', 'robot', 'token', 'whoami', 'passwd']);

/** Commands that read a variable without a --config option (their defaults come from it). */
const EXTRA: Record<string, (readonly [string, string])[]> = {
  'keys generate': [['PORTCULLIS_KEYS_DIR', 'the default of --dir']],
};

export const pathOf = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

/** What a command reads from the environment, by the rules above. */
export function environmentOf(cmd: Command): (readonly [string, string])[] {
  const path = pathOf(cmd);
  const vars: (readonly [string, string])[] = [];
  if (API_GROUPS.has(path.split(' ')[0] ?? '')) vars.push(...CONNECTION);
  if (cmd.options.some((o) => o.long === '--config')) vars.push(...CONFIG);
  vars.push(...(EXTRA[path] ?? []));
  return vars;
}

const table = (rows: readonly (readonly [string, string])[]) => {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`).join('\n');
};

/**
 * Adds an "Environment:" section to the help of every command that runs something, and the
 * whole list to the top-level help, so no variable is read without being named.
 */
export function describeEnvironment(program: Command): void {
  program.addHelpText('after', `\nEnvironment (each command's --help names those it reads):\n${table([...CONNECTION, ...CONFIG])}\n`);
  const visit = (cmd: Command) => {
    for (const sub of cmd.commands) visit(sub);
    if (cmd === program || cmd.commands.length > 0) return;
    const vars = environmentOf(cmd);
    cmd.addHelpText('after', vars.length ? `\nEnvironment:\n${table(vars)}\n` : '\nEnvironment: none read.\n');
  };
  visit(program);
}
