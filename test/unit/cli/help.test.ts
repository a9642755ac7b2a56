import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { pathOf } from '../../../src/cli/help.js';
import { buildProgram } from '../../../src/cli/main.js';

const SRC = resolve(import.meta.dirname, '../../../src');

/**
 * Commands whose description belongs to another part of issue 11 (key rotation owns keys.ts);
 * drop an entry once its file gives the description.
 */
const DESCRIBED_ELSEWHERE = new Set(['keys generate']);

function commands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => commands(c))];
}

/** The full --help of a command, the text added after it (Environment:) included. */
function helpOf(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

/** Every PORTCULLIS_* variable the source reads (the config's table included). */
async function variablesRead(): Promise<string[]> {
  const names = new Set<string>();
  const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const f of files) for (const m of (await readFile(join(SRC, f), 'utf8')).matchAll(/\b(PORTCULLIS_[A-Z_]+[A-Z])\b/g)) names.add(m[1] as string);
  return [...names].sort();
}

describe('portcullis --help', () => {
  const program = buildProgram();
  const all = commands(program);
  const leaves = all.filter((c) => c.commands.length === 0);

  it('describes every command and every option', () => {
    const missing: string[] = [];
    for (const cmd of all) {
      const path = pathOf(cmd) || 'portcullis';
      if (!cmd.description().trim() && !DESCRIBED_ELSEWHERE.has(path)) missing.push(path);
      for (const o of cmd.options) if (!o.description.trim()) missing.push(`${path} ${o.flags}`);
    }
    expect(missing).toEqual([]);
    expect(leaves.length).toBeGreaterThan(30);
  });

  it('names, in each command, the environment variables it reads', () => {
    const api = leaves.filter((c) => ['user', 'project', 'member', 'robot', 'token', 'whoami', 'passwd'].includes(pathOf(c).split(' ')[0] ?? ''));
    expect(api.map(pathOf)).toEqual(expect.arrayContaining(['user rm', 'member set', 'robot create', 'whoami', 'passwd']));
    for (const cmd of leaves) {
      const help = helpOf(cmd);
      expect(help, pathOf(cmd)).toMatch(/\nEnvironment(:\n|: none read\.)/);
      if (api.includes(cmd)) for (const name of ['PORTCULLIS_URL', 'PORTCULLIS_USER', 'PORTCULLIS_PASSWORD']) expect(help, pathOf(cmd)).toContain(`  ${name} `);
      if (cmd.options.some((o) => o.long === '--config')) {
        for (const name of ['PORTCULLIS_CONFIG', 'PORTCULLIS_DATA_DIR', 'PORTCULLIS_DATABASE_URL', 'PORTCULLIS_LDAP_BIND_PASSWORD'])
          expect(help, pathOf(cmd)).toContain(`  ${name} `);
      }
    }
    expect(helpOf(all.find((c) => pathOf(c) === 'keys generate') as Command)).toContain('PORTCULLIS_KEYS_DIR');
    expect(helpOf(all.find((c) => pathOf(c) === 'completion') as Command)).toContain('Environment: none read.');
  });

  it('lists every variable the source reads in the top-level help', async () => {
    const read = await variablesRead();
    expect(read).toEqual(expect.arrayContaining(['PORTCULLIS_URL', 'PORTCULLIS_PASSWORD', 'PORTCULLIS_ADMIN_PASSWORD', 'PORTCULLIS_CONFIG']));
    const help = helpOf(program);
    expect(read.filter((name) => !help.includes(`  ${name} `))).toEqual([]);
  });

  it('documents --json and --yes where they apply', () => {
    // Any space may be a line break: the width of the columns follows the longest command.
    expect(helpOf(program)).toMatch(/--json\s+print\s+the\s+result\s+as\s+JSON\s+on\s+stdout,\s+and\s+a\s+failure\s+as\s+\{"error":\s+"..."\}\s+on\s+stderr/);
    for (const path of ['user rm', 'project rm', 'robot rm', 'user disable']) {
      expect(helpOf(all.find((c) => pathOf(c) === path) as Command), path).toMatch(/-y, --yes\s+do not ask for confirmation \(required without a terminal\)/);
    }
  });
});
