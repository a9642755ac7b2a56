import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { isPortcullisError } from '../domain/errors.js';
import { CliError, isJson, printJson } from './output.js';

const SECRET_KEY = /password|secret/i;

/** A copy safe to print: secret values and the password inside a database URL become `***`. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return '***';
    return value.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}

export function addConfigCommands(program: Command): void {
  const config = program.command('config').description('the configuration Portcullis would run with');
  config
    .command('check')
    .description(
      'validate the configuration (file, defaults and PORTCULLIS_* variables) and print it resolved, secrets masked; exit 1 with every error otherwise',
    )
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .action(async (o: { config?: string }) => {
      try {
        const resolved = maskSecrets(await loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG));
        if (isJson()) printJson(resolved);
        else process.stdout.write(`# configuration is valid; resolved, secrets masked\n${stringify(resolved)}`);
      } catch (err) {
        if (!isPortcullisError(err) || err.code !== 'CONFIG_INVALID') throw err;
        const errors = err.message.split('\n');
        throw new CliError(
          'configuration is invalid',
          { errors },
          errors.map((e) => `- ${e}`),
        );
      }
    });
}
