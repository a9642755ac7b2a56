import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBinary, run, runOk } from '../harness/proc.js';
import { cleanEnv, cli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp.js';

describe('portcullis completion', { timeout: 60_000 }, () => {
  const tmp = useTempDir('completion');
  const scripts: Record<string, string> = {};

  beforeAll(async () => {
    await Promise.all([requireBinary('bash'), requireBinary('zsh')]);
    for (const shell of ['bash', 'zsh']) {
      const res = await cli(cleanEnv(), ['completion', shell]);
      expect(res.code, res.stderr).toBe(0);
      scripts[shell] = join(tmp().path, `portcullis.${shell}`);
      await writeFile(scripts[shell] as string, res.stdout);
    }
  });

  /** What bash offers for the words typed so far, the cursor on the last one. */
  async function bashComplete(...words: string[]): Promise<string[]> {
    const array = words.map((w) => `'${w}'`).join(' ');
    const res = await runOk('bash', [
      '-c',
      `source '${scripts.bash}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _portcullis; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ]);
    return res.stdout.split('\n').filter(Boolean);
  }

  /**
   * What zsh would offer, with compsys's _describe and _files replaced by stand-ins that print the
   * candidates they are given (compsys itself needs an interactive shell).
   */
  async function zshComplete(...words: string[]): Promise<string[]> {
    const array = words.map((w) => `'${w}'`).join(' ');
    const stubs = `_describe() { local a; for a in "$@"; do [[ $a == (commands|options|globals) ]] && print -l -- "\${(@P)a}"; done; }; _files() { print FILES; }`;
    const script = `compdef() { :; }; source '${scripts.zsh}'; ${stubs}; words=(${array}); CURRENT=${words.length}; PREFIX='${words.at(-1)}'; _portcullis`;
    const res = await runOk('zsh', ['-fc', script]);
    return res.stdout.split('\n').filter(Boolean);
  }

  it('prints a bash script that bash accepts, and that completes commands and options from the tree', async () => {
    const check = await run('bash', ['-n', scripts.bash as string]);
    expect(check.code, check.stderr).toBe(0);
    expect(await bashComplete('portcullis', 'us')).toEqual(['user']);
    expect(await bashComplete('portcullis', 'user', 'r')).toEqual(['revoke-tokens', 'rm']);
    expect(await bashComplete('portcullis', '--url', 'http://x', '--json', 'member', '')).toEqual(['set', 'rm', 'ls']);
    expect(await bashComplete('portcullis', 'project', 'rm', '--y')).toEqual(['--yes']);
    expect(await bashComplete('portcullis', 'ldap', 'test', 'alice', '--pa')).toEqual(['--password', '--password-stdin']);
  });

  it('prints a zsh script that zsh accepts, with each command described', async () => {
    const check = await run('zsh', ['-n', scripts.zsh as string]);
    expect(check.code, check.stderr).toBe(0);
    expect(await zshComplete('portcullis', 'us')).toContainEqual(expect.stringMatching(/^user:manage users/));
    const user = await zshComplete('portcullis', '--url', 'http://x', 'user', 'r');
    expect(user).toContainEqual(expect.stringMatching(/^rm:delete a user/));
    expect(user).not.toContainEqual(expect.stringMatching(/^user:/));
    expect(await zshComplete('portcullis', 'robot', 'rm', '-')).toContainEqual(expect.stringMatching(/^--yes:do not ask for confirmation/));
    expect(await zshComplete('portcullis', 'serve', '--config', '')).toEqual(['FILES']);
  });

  it('refuses a shell it does not know', async () => {
    const res = await cli(cleanEnv(), ['completion', 'fish']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('portcullis: no completion for shell "fish"; choose one of: bash, zsh\n');
  });
});
