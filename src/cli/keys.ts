import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CERT_FILE, KEY_FILE } from '../token/keys/files.js';
import { stringify } from 'yaml';
import { loadConfig, publicUrl } from '../config/load.js';
import { bundleCertificates, bundlePem, jwksFor } from '../token/keys/bundle.js';
import { loadCertificateFiles, loadSigningKey, signingKeyExists } from '../token/keys/load.js';
import { notificationsBlock } from './registry-notifications.js';

const configOption = (o: { config?: string }) => loadConfig(o.config ?? process.env.PORTCULLIS_CONFIG);

async function bundleFor(o: { config?: string }) {
  const config = await configOption(o);
  const key = await loadSigningKey(config.token.keysDir, config.token.algorithm);
  return { config, certs: bundleCertificates(key, await loadCertificateFiles(config.token.extraCertificates)) };
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

export function addKeyCommands(program: Command): void {
  const keys = program.command('keys').description('token signing keys and what the registry must trust');
  keys
    .command('generate')
    .option('--dir <dir>', 'where to write token.key and token.crt', process.env.PORTCULLIS_KEYS_DIR ?? './certs')
    .option('--alg <alg>', 'ES256 or RS256', 'ES256')
    .option('--force', 'replace an existing key')
    .action(async (o: { dir: string; alg: string; force?: boolean }) => {
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
      for (const k of kept) process.stdout.write(`kept the replaced ${k.from} as ${k.to}\n`);
      process.stdout.write(`wrote ${files.keyFile} (mode 0600) and ${files.certFile}\n`);
    });
  keys
    .command('jwks')
    .description('print the JWKS (kids as in the tokens), for registry 3.x `jwks`')
    .option('-c, --config <file>', 'configuration file')
    .action(async (o: { config?: string }) => {
      process.stdout.write(`${JSON.stringify(await jwksFor((await bundleFor(o)).certs), null, 2)}\n`);
    });
  keys
    .command('bundle')
    .description('print the PEM bundle to mount as the registry rootcertbundle')
    .option('-c, --config <file>', 'configuration file')
    .action(async (o: { config?: string }) => {
      process.stdout.write(bundlePem((await bundleFor(o)).certs));
    });
}

export function addRegistryConfigCommand(program: Command): void {
  program
    .command('registry-config')
    .description("print the registry's auth.token and notifications blocks for this configuration")
    .option('-c, --config <file>', 'configuration file')
    .option('--bundle-path <path>', 'where the registry finds the bundle', '/etc/docker/registry/portcullis-bundle.pem')
    .option('--jwks-path <path>', 'registry 3.x: where it finds `portcullis keys jwks` output')
    .action(async (o: { config?: string; bundlePath: string; jwksPath?: string }) => {
      const config = await configOption(o);
      const token: Record<string, string> = {
        realm: `${publicUrl(config)}/token`,
        service: config.token.service,
        issuer: config.token.issuer,
        rootcertbundle: o.bundlePath,
      };
      if (o.jwksPath) token.jwks = o.jwksPath;
      process.stdout.write(`# rootcertbundle: the output of \`portcullis keys bundle\`\n${stringify({ auth: { token }, ...notificationsBlock(config) })}`);
    });
}
