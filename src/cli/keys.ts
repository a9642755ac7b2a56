import { rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BUNDLE_FILE, CERT_FILE, KEY_FILE } from '../token/keys/files.js';
import { stringify } from 'yaml';
import { loadConfig, publicUrl } from '../config/load.js';
import { bundlePem, jwksFor } from '../token/keys/bundle.js';
import { loadKeySet, publishedCertificates } from '../token/keys/key-set.js';
import { loadCertificateFiles, signingKeyExists } from '../token/keys/load.js';
import { keyStatus, promote, retire, retireRefusal, rotate, type RotationState } from '../token/keys/rotation.js';
import { confirmOrRefuse, YES_HELP } from './confirm.js';

interface KeysOptions {
  config?: string;
  dir?: string;
}
import { notificationsBlock } from './registry-notifications.js';

const configOption = (o: { config?: string }) => loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG);

/** The keys directory (--dir, else token.keysDir) and the token lifetime retire waits out. */
async function target(o: KeysOptions): Promise<{ dir: string; ttlSeconds: number }> {
  const config = await configOption(o);
  return { dir: o.dir ?? config.token.keysDir, ttlSeconds: config.token.ttlSeconds };
}

async function bundleFor(o: { config?: string }) {
  const config = await configOption(o);
  const set = await loadKeySet(config.token.keysDir, config.token.algorithm);
  return { config, certs: publishedCertificates(set, await loadCertificateFiles(config.token.extraCertificates)) };
}

const wantsJson = (cmd: Command) => cmd.optsWithGlobals<{ json?: boolean }>().json === true;

function printState(cmd: Command, done: string, state: RotationState): void {
  if (wantsJson(cmd)) {
    process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    return;
  }
  const lines = [
    done,
    `signing   ${state.signing}`,
    `next      ${state.next ?? '-'}${state.next ? ' (published, signs nothing yet)' : ''}`,
    `previous  ${state.previous ?? '-'}${state.previous ? ` (published; retire after ${state.retireAfter ?? 'unknown: no promote time recorded'})` : ''}`,
    `bundle    ${state.bundle}: the registry's rootcertbundle; restart the registry after each step`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Moves the files --force replaces aside (token.key.replaced-<time>), so nothing is lost. */
async function keepReplaced(dir: string): Promise<{ from: string; to: string }[]> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const kept: { from: string; to: string }[] = [];
  for (const name of [KEY_FILE, CERT_FILE]) {
    const from = join(dir, name);
    const to = `${from}.replaced-${stamp}`;
    if (
      await rename(from, to).then(
        () => true,
        () => false,
      )
    )
      kept.push({ from, to });
  }
  return kept;
}

const withTarget = (cmd: Command) =>
  cmd
    .option('-c, --config <file>', 'configuration file, for token.keysDir and token.ttlSeconds (PORTCULLIS_CONFIG)')
    .option('--dir <dir>', 'the keys directory (default: token.keysDir, PORTCULLIS_KEYS_DIR, ./certs)');

export function addKeyCommands(program: Command): void {
  const keys = program.command('keys').description('token signing keys, their rotation, and what the registry must trust');
  keys
    .command('generate')
    .description('write a new signing key (token.key, token.crt) and bundle.pem')
    .option('--dir <dir>', 'where to write token.key and token.crt (PORTCULLIS_KEYS_DIR)', process.env.PORTCULLIS_KEYS_DIR ?? './certs')
    .option('--alg <alg>', 'ES256 or RS256', 'ES256')
    .option('--force', 'replace an existing key (the replaced files are kept as *.replaced-<time>); use keys rotate on a live service')
    .action(async (o: { dir: string; alg: string; force?: boolean }, cmd: Command) => {
      if (o.alg !== 'ES256' && o.alg !== 'RS256') throw new Error(`--alg must be ES256 or RS256, got ${o.alg}`);
      const exists = await signingKeyExists(o.dir).catch((err: Error) => {
        // A lone key or certificate is exactly what --force may replace; without it, say so.
        if (!o.force) throw err;
        return true;
      });
      if (exists && !o.force) throw new Error(`${o.dir}/token.key exists; pass --force to replace it`);
      const kept = exists ? await keepReplaced(o.dir) : [];
      const { generateSigningKey } = await import('../token/keys/generate.js');
      const files = await generateSigningKey({ dir: o.dir, algorithm: o.alg });
      if (wantsJson(cmd)) {
        process.stdout.write(`${JSON.stringify({ ...files, bundleFile: join(o.dir, BUNDLE_FILE), kept }, null, 2)}\n`);
        return;
      }
      for (const k of kept) process.stdout.write(`kept the replaced ${k.from} as ${k.to}\n`);
      process.stdout.write(`wrote ${files.keyFile} (mode 0600) and ${files.certFile}\n`);
    });
  withTarget(keys.command('status'))
    .description('show the signing, next and previous keys and when the previous one may be retired')
    .action(async (o: KeysOptions, cmd: Command) => {
      const { dir, ttlSeconds } = await target(o);
      printState(cmd, `keys directory ${dir}`, await keyStatus(dir, ttlSeconds));
    });
  withTarget(keys.command('rotate'))
    .description('step 1: create a next key; bundle.pem and the JWKS publish it at once, nothing signs with it yet')
    .option('--alg <alg>', 'ES256 or RS256 (default: the current key’s)')
    .action(async (o: KeysOptions & { alg?: string }, cmd: Command) => {
      if (o.alg !== undefined && o.alg !== 'ES256' && o.alg !== 'RS256') throw new Error(`--alg must be ES256 or RS256, got ${o.alg}`);
      const { dir, ttlSeconds } = await target(o);
      const state = await rotate(dir, ttlSeconds, o.alg);
      printState(cmd, `created the next key ${state.next}; restart the registry on ${state.bundle}, then run keys promote`, state);
    });
  withTarget(keys.command('promote'))
    .description('step 2: sign with the next key; the old one stays published as previous (the service reloads by itself)')
    .action(async (o: KeysOptions, cmd: Command) => {
      const { dir, ttlSeconds } = await target(o);
      const state = await promote(dir, ttlSeconds);
      printState(cmd, `now signing with ${state.signing}; ${state.previous} stays published until keys retire`, state);
    });
  withTarget(keys.command('retire'))
    .description('step 3: stop publishing the previous key, once the longest token lifetime has passed since promote')
    .option('--force', 'retire before the tokens the previous key signed have expired (the registry will refuse them)')
    .option('-y, --yes', YES_HELP)
    .action(async (o: KeysOptions & { force?: boolean; yes?: boolean }, cmd: Command) => {
      const { dir, ttlSeconds } = await target(o);
      const refusal = await retireRefusal(dir, ttlSeconds);
      if (refusal && !o.force) throw new Error(`${refusal}; pass --force to retire it anyway`);
      const { previous } = await keyStatus(dir, ttlSeconds);
      await confirmOrRefuse(`stop publishing ${previous}`, o, ['once the registry restarts on the new bundle it refuses the tokens that key signed']);
      const state = await retire(dir, ttlSeconds, { force: o.force === true });
      printState(cmd, `retired ${previous}; restart the registry on ${state.bundle}`, state);
    });
  keys
    .command('jwks')
    .description('print the JWKS (kids as in the tokens), for registry 3.x `jwks`')
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .action(async (o: { config?: string }) => {
      process.stdout.write(`${JSON.stringify(await jwksFor((await bundleFor(o)).certs), null, 2)}\n`);
    });
  keys
    .command('bundle')
    .description('print the PEM bundle (bundle.pem plus token.extraCertificates) to mount as the registry rootcertbundle')
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .action(async (o: { config?: string }) => {
      process.stdout.write(bundlePem((await bundleFor(o)).certs));
    });
}

export function addRegistryConfigCommand(program: Command): void {
  program
    .command('registry-config')
    .description("print the registry's auth.token and notifications blocks for this configuration")
    .option('-c, --config <file>', 'configuration file (PORTCULLIS_CONFIG)')
    .option('--bundle-path <path>', 'where the registry finds the bundle (default: bundle.pem in token.keysDir, as the registry sees it)')
    .option('--jwks-path <path>', 'registry 3.x: where it finds `portcullis keys jwks` output')
    .action(async (o: { config?: string; bundlePath?: string; jwksPath?: string }) => {
      const config = await configOption(o);
      const token: Record<string, string> = {
        realm: `${publicUrl(config)}/token`,
        service: config.token.service,
        issuer: config.token.issuer,
        rootcertbundle: o.bundlePath ?? resolve(config.token.keysDir, BUNDLE_FILE),
      };
      if (o.jwksPath) token.jwks = o.jwksPath;
      const note =
        config.token.extraCertificates.length > 0
          ? '# rootcertbundle: token.extraCertificates are not in bundle.pem; mount the output of `portcullis keys bundle` instead\n'
          : `# rootcertbundle: ${BUNDLE_FILE} in the keys directory, rewritten by keys rotate/promote/retire; restart the registry after each\n`;
      process.stdout.write(`${note}${stringify({ auth: { token }, ...notificationsBlock(config) })}`);
    });
}
