import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathOf } from '../../src/cli/help.js';
import { buildProgram } from '../../src/cli/main.js';
import { Secret } from '../../src/domain/secret.js';
import { generateSigningKey } from '../../src/token/keys/generate.js';
import { ADMIN, buildTestApp, type TestApp } from '../helpers/app.js';
import { cleanEnv, cli, type CliOptions } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp.js';

/**
 * Commands that print nothing of their own (serve logs), or whose output is not this part's:
 * keys.ts belongs to key rotation, which gives it --json.
 */
const NOT_COVERED = new Set(['serve', 'keys generate', 'keys bundle', 'keys jwks', 'registry-config', 'ldap test']);

type Case = [args: string[], opts?: CliOptions];

const leaves = (c: Command): string[] => (c.commands.length ? c.commands.flatMap(leaves) : [pathOf(c)]);
/** The commands a list of cases runs: each case's words, options left out, start with one. */
const uncovered = (commands: string[], cases: Case[]) => {
  const runs = cases.map(([args]) => `${args.filter((a) => !a.startsWith('-')).join(' ')} `);
  return commands.filter((c) => !runs.some((r) => r.startsWith(`${c} `)));
};

describe('--json on every command: one JSON document on stdout, or {"error"} on stderr', { timeout: 240_000 }, () => {
  let t: TestApp;
  let offline: TestApp;
  let env: NodeJS.ProcessEnv;
  const tmp = useTempDir('cli-json');

  beforeAll(async () => {
    [t, offline] = await Promise.all([buildTestApp(), buildTestApp()]);
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    env = cleanEnv({ PORTCULLIS_URL: url, PORTCULLIS_USER: ADMIN.username, PORTCULLIS_PASSWORD: ADMIN.password, PORTCULLIS_LOG_LEVEL: 'silent' });
    await t.app.services.admin.createUser('selma', new Secret('selma-password-1'), false);
    await t.app.services.admin.createUser('sid', new Secret('sid-password-1'), false);
    await offline.app.close();
    await generateSigningKey({ dir: rotationEnv().PORTCULLIS_KEYS_DIR, algorithm: 'ES256' });
  });
  afterAll(async () => {
    await t?.close();
    await offline?.close().catch(() => undefined);
  });

  /** Keys of their own for rotate, promote and retire, so the running services' keys stay put. */
  const rotationEnv = () => ({ PORTCULLIS_KEYS_DIR: join(tmp().path, 'rotation-keys') });
  const offlineEnv = () => ({ PORTCULLIS_DATA_DIR: offline.dataDir, PORTCULLIS_KEYS_DIR: offline.config.token.keysDir });
  const as = (user: string, password: string) => ({ env: { PORTCULLIS_USER: user, PORTCULLIS_PASSWORD: password } });
  const selma = (password: string) => as('selma', password);

  // In order: each may rely on what the ones before it made.
  const successes = (): Case[] => [
    [['user', 'add', 'jo', '--password-stdin'], { input: 'jo-password-1\n' }],
    [['user', 'passwd', 'jo', '--password-stdin'], { input: 'jo-password-2\n' }],
    [['user', 'admin', 'jo', 'false']],
    [['user', 'disable', 'jo']],
    [['user', 'enable', 'jo']],
    [['user', 'revoke-tokens', 'jo']],
    [['user', 'ls']],
    [['project', 'create', 'jp']],
    [['project', 'public', 'jp', 'true']],
    [['project', 'ls']],
    [['member', 'set', 'jp', 'jo', 'developer']],
    [['member', 'ls', 'jp']],
    [['explain', 'jo', 'repository:jp/app:pull,push']],
    [['audit', 'ls', '--kind', 'change']],
    [['user', 'show', 'jo']],
    [['member', 'rm', 'jp', 'jo']],
    [['robot', 'create', 'jr', '--project', 'jp']],
    [['robot', 'refresh', 'robot$jp+jr']],
    [['robot', 'ls']],
    [['robot', 'show', 'robot$jp+jr']],
    [['robot', 'disable', 'robot$jp+jr']],
    [['robot', 'enable', 'robot$jp+jr']],
    [['robot', 'rm', 'robot$jp+jr', '--yes']],
    [['project', 'rm', 'jp', '--yes']],
    [['user', 'rm', 'jo', '--yes']],
    [['whoami'], selma('selma-password-1')],
    [['passwd', '--password-stdin'], { input: 'selma-password-1\nselma-password-2\n', ...selma('selma-password-1') }],
    [['config', 'check']],
    [['admin', 'reset-password', '--password-stdin'], { input: 'reset-password-1\n', env: offlineEnv() }],
    [['completion', 'bash']],
    [['token', 'create', 'jt'], selma('selma-password-2')],
    [['token', 'ls'], selma('selma-password-2')],
    [['token', 'rm', '1'], selma('selma-password-2')],
    [['keys', 'status'], { env: rotationEnv() }],
    [['keys', 'rotate'], { env: rotationEnv() }],
    [['keys', 'promote'], { env: rotationEnv() }],
    [['keys', 'retire', '--force', '--yes'], { env: rotationEnv() }],
  ];

  const failures = (): [...Case, RegExp][] => [
    [['user', 'add', 'selma', '--password-stdin'], { input: 'selma-password-9\n' }, /^409: user selma already exists$/],
    [['user', 'passwd', 'ghost', '--password-stdin'], { input: 'ghost-password-1\n' }, /^404: user ghost not found$/],
    [['user', 'show', 'ghost'], {}, /^404: user ghost not found$/],
    [['user', 'disable', 'ghost'], {}, /not found/],
    [['user', 'enable', 'ghost'], {}, /not found/],
    [['user', 'admin', 'ghost', 'maybe'], {}, /^expected true or false, got "maybe"$/],
    [['user', 'revoke-tokens', 'ghost'], {}, /^404: user ghost not found$/],
    [['user', 'rm', 'selma'], {}, /^refusing to remove user selma without confirmation: there is no terminal to ask on; pass --yes$/],
    [['user', 'ls'], { env: { PORTCULLIS_PASSWORD: 'wrong-password' } }, /^401: invalid credentials or account disabled \(logging in as admin\)$/],
    [['project', 'create', 'library'], {}, /^409: project library already exists$/],
    [['project', 'public', 'ghost', 'true'], {}, /not found/],
    [['project', 'ls'], { env: { PORTCULLIS_URL: 'localhost:1' } }, /needs http:\/\/ or https:\/\//],
    [['project', 'rm', 'ghost'], {}, /^refusing to remove project ghost without confirmation/],
    [['member', 'set', 'library', 'selma', 'dev'], {}, /^unknown role "dev"; valid roles: admin, maintainer, developer, guest, limitedGuest$/],
    [['member', 'rm', 'library', 'ghost'], {}, /^404: user ghost is not a member of library$/],
    [['member', 'ls', 'ghost'], {}, /not found/],
    [['robot', 'create', 'jr'], {}, /needs --permission/],
    [['robot', 'refresh', 'robot$ghost'], {}, /not found/],
    [['robot', 'ls', '--project', 'ghost'], { env: { PORTCULLIS_PASSWORD: 'wrong-password' } }, /^401: /],
    [['robot', 'show', 'robot$ghost'], {}, /not found/],
    [['robot', 'disable', 'robot$ghost'], {}, /not found/],
    [['robot', 'enable', 'robot$ghost'], {}, /not found/],
    [['robot', 'rm', 'robot$ghost'], {}, /^refusing to remove robot robot\$ghost without confirmation/],
    [['whoami'], as('sid', 'wrong-password'), /^401: invalid credentials or account disabled \(logging in as sid\)$/],
    [['passwd', '--password-stdin'], { input: 'wrong-password\nsid-password-3\n', ...as('sid', 'sid-password-1') }, /^403: oldPassword is not/],
    [['config', 'check'], { env: { PORTCULLIS_TOKEN_TTL: 'soon' } }, /^configuration is invalid$/],
    [['admin', 'reset-password', 'nobody', '--password-stdin'], { input: 'reset-password-2\n', env: offlineEnv() }, /user nobody not found/],
    [['completion', 'fish'], {}, /^no completion for shell "fish"; choose one of: bash, zsh$/],
    [['token', 'create', 'bad name'], selma('selma-password-2'), /^400: invalid token name/],
    [['token', 'ls', '--owner', 'admin'], selma('selma-password-2'), /^403: only system admins/],
    [['token', 'rm', '999'], selma('selma-password-2'), /^404: token 999 not found$/],
    [['keys', 'status'], { env: { PORTCULLIS_KEYS_DIR: '/nonexistent/keys' } }, /nonexistent/],
    [['keys', 'rotate'], { env: { PORTCULLIS_KEYS_DIR: '/nonexistent/keys' } }, /nonexistent/],
    [['keys', 'promote'], { env: rotationEnv() }, /next/],
    [['keys', 'retire'], { env: rotationEnv() }, /previous|confirm|--force/],
    [['audit', 'ls', '--outcome', 'maybe'], {}, /^400: /],
    [['explain', 'ghost', 'repository:library/x:pull'], {}, /^404: user ghost not found/],
    [['no-such-command'], {}, /^unknown command 'no-such-command'$/],
  ];

  it('covers every command that prints', () => {
    const all = leaves(buildProgram()).filter((p) => !NOT_COVERED.has(p));
    expect(all.length).toBeGreaterThan(25);
    expect(uncovered(all, successes())).toEqual([]);
    expect(
      uncovered(
        all,
        failures().map(([args, opts]) => [args, opts]),
      ),
    ).toEqual([]);
  });

  it('prints one JSON document on stdout, and nothing on stderr, when a command succeeds', async () => {
    for (const [args, opts = {}] of successes()) {
      const res = await cli(env, ['--json', ...args], { cwd: tmp().path, ...opts });
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(res.stderr, args.join(' ')).toBe('');
      expect(() => JSON.parse(res.stdout), `${args.join(' ')}: ${res.stdout}`).not.toThrow();
    }
  });

  it('writes {"error": ...} to stderr, nothing to stdout, and exits 1 when a command fails', async () => {
    const queue = failures();
    // Four at a time: each is a Node process, and the machine is shared.
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const [args, opts, message] = c;
        const res = await cli(env, ['--json', ...args], { cwd: tmp().path, ...opts });
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(1);
        expect(res.stdout, args.join(' ')).toBe('');
        expect(() => JSON.parse(res.stderr), `${args.join(' ')}: ${res.stderr}`).not.toThrow();
        expect((JSON.parse(res.stderr) as { error: string }).error, args.join(' ')).toMatch(message);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  });

  it('says what the results are: the API object, a removal, the robot with its secret', async () => {
    const json = async (args: string[], opts: CliOptions = {}) => JSON.parse((await cli(env, ['--json', ...args], opts)).stdout) as Record<string, unknown>;
    expect(await json(['user', 'add', 'kim', '--password-stdin'], { input: 'kim-password-1\n' })).toMatchObject({
      username: 'kim',
      admin: false,
      source: 'local',
    });
    expect(await json(['member', 'set', 'library', 'kim', 'guest'])).toEqual({ project: 'library', kind: 'user', name: 'kim', role: 'guest' });
    expect(await json(['user', 'show', 'kim'])).toMatchObject({ username: 'kim', memberships: [{ project: 'library', role: 'guest' }] });
    expect(await json(['user', 'rm', 'kim', '--yes'])).toEqual({ removed: 'user', name: 'kim' });
    const robot = await json(['robot', 'create', 'kr', '--permission', 'library:pull']);
    expect(robot).toMatchObject({ name: 'robot$kr', secret: expect.stringMatching(/^pcb_/) });
    expect(await json(['robot', 'rm', 'robot$kr', '--yes'])).toEqual({ removed: 'robot', name: 'robot$kr' });
    const conflicting = await cli(env, ['--json', 'robot', 'create', 'kr2', '--permission', 'library:pull', '--output', 'k8s-secret', '--registry', 'r']);
    expect(JSON.parse(conflicting.stderr)).toEqual({ error: '--json prints the robot with its secret as JSON; leave out --output k8s-secret' });
  });

  it('reports an invalid configuration with every error, in both formats', async () => {
    const file = join(tmp().path, 'bad.yaml');
    await writeFile(file, 'token:\n  isuer: x\n');
    const json = await cli(env, ['--json', 'config', 'check', '-c', file]);
    expect(JSON.parse(json.stderr)).toEqual({ error: 'configuration is invalid', errors: ['token.isuer is not a known option (did you mean token.issuer?)'] });
    const text = await cli(env, ['config', 'check', '-c', file]);
    expect(text.stderr).toBe('portcullis: configuration is invalid\n  - token.isuer is not a known option (did you mean token.issuer?)\n');
  });
});
