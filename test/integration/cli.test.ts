import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Secret } from '../../src/domain/secret.js';
import { libtrustKeyId } from '../../src/token/keys/kid.js';
import { basic, buildTestApp, ADMIN, type TestApp } from '../helpers/app.js';
import { errorCode, granted, realmGet } from '../helpers/realm.js';
import { pollUntil, run, runOk, tempDir, type RunResult } from '../harness/proc.js';

const REPO = resolve(import.meta.dirname, '../..');

/**
 * Builds the CLI as `npm run build` does (type checking is `npm run typecheck`'s job), but into a
 * private directory with the real bin/portcullis.js beside it: other tests may be running the
 * shared dist/ while this builds.
 */
async function buildCli(root: string): Promise<string> {
  await runOk(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noCheck', '--outDir', join(root, 'dist')], {
    cwd: REPO,
  });
  await mkdir(join(root, 'bin'));
  await copyFile(join(REPO, 'bin/portcullis.js'), join(root, 'bin/portcullis.js'));
  await copyFile(join(REPO, 'package.json'), join(root, 'package.json'));
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
  return join(root, 'bin/portcullis.js');
}

describe('the portcullis CLI', () => {
  let t: TestApp;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let bin: string;
  let env: NodeJS.ProcessEnv;

  /** Runs the CLI with the admin connection in the environment, as an operator would. */
  const cli = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> =>
    run(process.execPath, [bin, ...args], { cwd: tmp.path, env: { ...env, ...opts.env }, input: opts.input, timeoutMs: 30_000 });
  const cliOk = async (args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<string> => {
    const res = await cli(args, opts);
    expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(0);
    return res.stdout;
  };
  const cliFails = async (args: string[], message: RegExp, opts: Parameters<typeof cli>[1] = {}): Promise<void> => {
    const res = await cli(args, opts);
    expect(res.code, `${args.join(' ')} should fail`).not.toBe(0);
    expect(res.stderr).toMatch(message);
  };
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await cliOk(['--json', ...args])) as T;
  const login = (user: string, password: string) => realmGet(t.app, { service: 'registry', scope: 'repository:web/app:pull,push' }, basic(user, password));

  beforeAll(async () => {
    tmp = await tempDir('cli');
    const [built, app] = await Promise.all([buildCli(tmp.path), buildTestApp()]);
    bin = built;
    t = app;
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));
    env = { ...inherited, PORTCULLIS_URL: url, PORTCULLIS_USER: ADMIN.username, PORTCULLIS_PASSWORD: ADMIN.password };
  });
  afterAll(async () => {
    await t?.close();
    await tmp?.remove();
  });

  // Each CLI run is a fresh Node process (~1 s of CPU): generous timeouts for a loaded machine.
  describe('admin commands against a running service', { timeout: 120_000 }, () => {
    it('user add / ls / passwd / disable / enable / rm', async () => {
      expect(await cliOk(['user', 'add', 'carol', '--password-stdin'], { input: 'carol-password-1\n' })).toMatch(/user carol created/);
      granted(await login('carol', 'carol-password-1'));
      const table = await cliOk(['user', 'ls']);
      expect(table.split('\n')[0]).toMatch(/^USERNAME\s+ADMIN\s+DISABLED\s+SOURCE/);
      expect(table).toMatch(/^carol\s+false\s+false\s+local/m);

      expect(await cliOk(['user', 'passwd', 'carol', '--password-stdin'], { input: 'carol-password-2\n' })).toMatch(/password of carol changed/);
      expect(errorCode(await login('carol', 'carol-password-1'), 401)).toBe('UNAUTHORIZED');
      granted(await login('carol', 'carol-password-2'));

      await cliOk(['user', 'disable', 'carol']);
      expect(errorCode(await login('carol', 'carol-password-2'), 401)).toBe('UNAUTHORIZED');
      await cliOk(['user', 'enable', 'carol']);
      granted(await login('carol', 'carol-password-2'));
      expect(await cliOk(['user', 'revoke-tokens', 'carol'])).toMatch(/0 identity token\(s\) of carol revoked/);

      expect(await cliOk(['user', 'rm', 'carol', '--yes'])).toMatch(/user carol removed/);
      expect(await t.app.services.store.users.find('carol')).toBeNull();
    });

    it('project create / ls / public / rm and member set / ls / rm', async () => {
      await t.app.services.admin.createUser('dave', new Secret('dave-password-1'), false);
      await cliOk(['project', 'create', 'web']);
      await cliOk(['member', 'set', 'web', 'dave', 'developer']);
      await cliOk(['member', 'set', 'web', 'group:devs', 'guest']);
      expect(await cliOk(['member', 'ls', 'web'])).toMatch(/^KIND\s+NAME\s+ROLE\n.*user\s+dave\s+developer\n.*group\s+devs\s+guest/);
      expect(granted(await login('dave', 'dave-password-1')).access).toEqual([{ type: 'repository', name: 'web/app', actions: ['pull', 'push'] }]);

      const anonymous = () => realmGet(t.app, { service: 'registry', scope: 'repository:web/app:pull' });
      expect(granted(await anonymous()).access).toEqual([]);
      await cliOk(['project', 'public', 'web', 'true']);
      expect(await json<{ name: string; public: boolean }[]>(['project', 'ls'])).toContainEqual(expect.objectContaining({ name: 'web', public: true }));
      expect(granted(await anonymous()).access).toEqual([{ type: 'repository', name: 'web/app', actions: ['pull'] }]);

      await cliOk(['member', 'rm', 'web', 'group:devs']);
      await cliOk(['member', 'rm', 'web', 'dave']);
      expect(await t.app.services.admin.listMembers('web')).toEqual([]);
      await cliOk(['project', 'rm', 'web', '--yes']);
      expect(await t.app.services.store.projects.find('web')).toBeNull();
    });

    it('robot create / ls / show / disable / enable / refresh / rm, with each --output', async () => {
      await t.app.services.admin.createProject('ci', false);
      const pull = (user: string, secret: string) => realmGet(t.app, { service: 'registry', scope: 'repository:ci/app:pull,push' }, basic(user, secret));
      const secret = (await cliOk(['robot', 'create', 'builder', '--project', 'ci', '--actions', 'pull,push', '--description', 'CI'])).trim();
      expect(secret).toMatch(/^pcb_[A-Za-z0-9_-]{43}$/);
      expect(granted(await pull('robot$ci+builder', secret)).access).toEqual([{ type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }]);

      const table = await cliOk(['robot', 'ls', '--project', 'ci']);
      expect(table).toMatch(/^NAME\s+PROJECT\s+DISABLED\s+EXPIRESAT\s+LASTUSEDAT\nrobot\$ci\+builder\s+ci\s+false/);
      const shown = JSON.parse(await cliOk(['robot', 'show', 'robot$ci+builder'])) as Record<string, unknown>;
      expect(shown).toMatchObject({ name: 'robot$ci+builder', description: 'CI', permissions: [{ project: 'ci', actions: ['pull', 'push'] }] });
      expect(table + JSON.stringify(shown)).not.toContain(secret);

      await cliOk(['robot', 'disable', 'robot$ci+builder']);
      expect(errorCode(await pull('robot$ci+builder', secret), 401)).toBe('UNAUTHORIZED');
      await cliOk(['robot', 'enable', 'robot$ci+builder']);
      granted(await pull('robot$ci+builder', secret));

      const config = JSON.parse(await cliOk(['robot', 'refresh', 'robot$ci+builder', '--output', 'dockerconfigjson', '--registry', 'reg.example.org'])) as {
        auths: Record<string, { auth: string }>;
      };
      expect(Object.keys(config.auths)).toEqual(['reg.example.org']);
      const [user, fresh] = Buffer.from(config.auths['reg.example.org']?.auth as string, 'base64')
        .toString()
        .split(/:(.*)/s);
      expect(user).toBe('robot$ci+builder');
      expect(errorCode(await pull('robot$ci+builder', secret), 401)).toBe('UNAUTHORIZED');
      granted(await pull('robot$ci+builder', fresh as string));

      const k8s = JSON.parse(
        await cliOk(['robot', 'create', 'scanner', '--permission', '*:pull', '--output', 'k8s-secret', '--registry', 'reg.example.org', '--namespace', 'apps']),
      ) as { kind: string; type: string; metadata: Record<string, string>; data: Record<string, string> };
      expect(k8s).toMatchObject({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/dockerconfigjson',
        metadata: { name: 'robot-scanner', namespace: 'apps' },
      });
      const inner = JSON.parse(Buffer.from(k8s.data['.dockerconfigjson'] as string, 'base64').toString()) as { auths: Record<string, { auth: string }> };
      const [scanner, scannerSecret] = Buffer.from(inner.auths['reg.example.org']?.auth as string, 'base64')
        .toString()
        .split(/:(.*)/s);
      expect(scanner).toBe('robot$scanner');
      expect(granted(await pull(scanner as string, scannerSecret as string)).access).toEqual([{ type: 'repository', name: 'ci/app', actions: ['pull'] }]);

      await cliFails(['robot', 'create', 'x', '--project', 'ci', '--output', 'dockerconfigjson'], /needs --registry/);
      await cliFails(['robot', 'create', 'x'], /needs --permission/);
      await cliOk(['robot', 'rm', 'robot$ci+builder', '--yes']);
      await cliOk(['robot', 'rm', 'robot$scanner', '--yes']);
      expect(await t.app.services.store.robots.list()).toEqual([]);
    });

    it("fails with a non-zero exit and the server's reason", async () => {
      await Promise.all([
        cliFails(['user', 'add', 'erin', '--password-stdin'], /^portcullis: 400: password must be at least 8 characters/m, { input: 'short' }),
        cliFails(['project', 'create', 'library'], /^portcullis: 409: project library already exists/m),
        cliFails(['member', 'set', 'library', 'ghost', 'developer'], /^portcullis: 404: user ghost not found/m),
        cliFails(['user', 'ls'], /^portcullis: 401: invalid credentials or account disabled \(logging in as admin\)/m, {
          env: { PORTCULLIS_PASSWORD: 'wrong-password' },
        }),
        cliFails(['user', 'ls'], /admin password needed/, { env: { PORTCULLIS_PASSWORD: '' } }),
        cliFails(['user', 'ls'], /^portcullis: cannot reach http:\/\/127\.0\.0\.1:1\//m, { env: { PORTCULLIS_URL: 'http://127.0.0.1:1' } }),
      ]);
    });
  });

  describe('audit ls and explain', { timeout: 120_000 }, () => {
    it('audit ls shows token requests and changes as a table, filters them, and prints JSON', async () => {
      await cliOk(['project', 'create', 'audited']);
      await cliOk(['user', 'add', 'auditee', '--password-stdin'], { input: 'auditee-password-1\n' });
      await cliOk(['member', 'set', 'audited', 'auditee', 'guest']);
      granted(await realmGet(t.app, { service: 'registry', scope: 'repository:audited/app:pull,push' }, basic('auditee', 'auditee-password-1')));

      const table = await cliOk(['audit', 'ls', '--project', 'audited']);
      const lines = table.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME\s+KIND\s+SUBJECT\s+OUTCOME\s+ADDRESS\s+WHAT\s+WHY$/);
      expect(lines[1]).toMatch(/\s+token\s+auditee\s+partial\s+127\.0\.0\.1\s+repository:audited\/app:pull,push\s+push: role_lacks_push$/);
      expect(lines[2]).toMatch(/\s+change\s+admin\s+ok\s+.*PUT \/projects\/:name\/members\/:principal audited auditee\s+200$/);
      const entries = await json<{ subject: string; outcome: string }[]>(['audit', 'ls', '--kind', 'token', '--subject', 'auditee']);
      expect(entries.map((e) => [e.subject, e.outcome])).toEqual([['auditee', 'partial']]);
      await cliFails(['audit', 'ls', '--outcome', 'maybe'], /400: .*outcome/);
    });

    it('audit ls --follow prints entries written after it started', async () => {
      const child = spawn(process.execPath, [bin, '--json', 'audit', 'ls', '--follow', '--interval', '200', '--subject', 'follower', '--limit', '5'], {
        cwd: tmp.path,
        env,
      });
      try {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        await new Promise((r) => setTimeout(r, 1_500));
        expect(out).toBe('');
        await cliOk(['user', 'add', 'follower', '--password-stdin'], { input: 'follower-password-1\n' });
        granted(await realmGet(t.app, { service: 'registry', scope: 'repository:library/followed:pull' }, basic('follower', 'follower-password-1')));
        await pollUntil(async () => out.includes('\n'), undefined, 'a followed entry', 20_000, 100);
        expect(JSON.parse(out.split('\n')[0] ?? '')).toMatchObject({ kind: 'token', subject: 'follower', repositories: ['library/followed'] });
      } finally {
        child.kill();
      }
    });

    it('explain names the rule behind every action', async () => {
      const table = await cliOk(['explain', 'auditee', 'repository:audited/app:pull,push', 'repository:nosuch/app:pull']);
      expect(table.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^RESOURCE\s+ACTION\s+GRANTED\s+RULE$/),
        expect.stringMatching(/^repository:audited\/app\s+pull\s+yes\s+role guest in project audited$/),
        expect.stringMatching(/^repository:audited\/app\s+push\s+no\s+role guest in project audited does not allow push$/),
        expect.stringMatching(/^repository:nosuch\/app\s+pull\s+no\s+project nosuch does not exist$/),
      ]);
      const anonymous = await json<{ granted: string[] }>(['explain', '-', 'repository:library/x:pull,push']);
      expect(anonymous.granted).toEqual(['repository:library/x:pull']);
    });
  });

  describe('whoami and passwd: any user, on their own account', { timeout: 120_000 }, () => {
    const as = (user: string, password: string) => ({ PORTCULLIS_USER: user, PORTCULLIS_PASSWORD: password });
    beforeAll(async () => {
      await t.app.services.admin.createUser('frank', new Secret('frank-password-1'), false);
    });

    it('whoami names the user, their admin flag and source; --json prints the account', async () => {
      const [table, asJson, asAdmin] = await Promise.all([
        cliOk(['whoami'], { env: as('frank', 'frank-password-1') }),
        cliOk(['--json', 'whoami'], { env: as('frank', 'frank-password-1') }),
        cliOk(['whoami']),
      ]);
      expect(table).toMatch(/^USERNAME\s+ADMIN\s+SOURCE\s+GROUPS\nfrank\s+false\s+local\n$/);
      expect(JSON.parse(asJson)).toMatchObject({ username: 'frank', admin: false, source: 'local', disabled: false, groups: [] });
      expect(asAdmin).toMatch(/^admin\s+true\s+local/m);
    });

    it('passwd reads the current and the new password from stdin, one per line', async () => {
      // No password in the environment: the current one from stdin logs in.
      const out = await cliOk(['--user', 'frank', 'passwd', '--password-stdin'], {
        input: 'frank-password-1\nfrank-password-2\n',
        env: { PORTCULLIS_PASSWORD: '' },
      });
      expect(out).toMatch(/^password changed; your identity tokens are revoked/);
      expect(errorCode(await login('frank', 'frank-password-1'), 401)).toBe('UNAUTHORIZED');
      granted(await login('frank', 'frank-password-2'));
      // The connection's password, when set, is the login; stdin still names the current one.
      await cliOk(['passwd', '--password-stdin'], { input: 'frank-password-2\nfrank-password-3', env: as('frank', 'frank-password-2') });
      granted(await login('frank', 'frank-password-3'));
    });

    it('passwd asks on a terminal: the current password, then the new one twice', async () => {
      const command = [process.execPath, bin, 'passwd'].map((a) => `'${a}'`).join(' ');
      const onTerminal = (input: string) =>
        run('script', ['-qec', command, '/dev/null'], { cwd: tmp.path, env: { ...env, ...as('frank', 'frank-password-3') }, input, timeoutMs: 30_000 });
      const differ = await onTerminal('frank-password-3\nfrank-password-4\nfrank-password-5\n');
      expect(differ.code).not.toBe(0);
      expect(differ.stdout).toMatch(/Current password: .*New password: .*New password again: .*the new passwords differ/s);
      const changed = await onTerminal('frank-password-3\nfrank-password-4\nfrank-password-4\n');
      expect(changed.code, changed.stdout).toBe(0);
      expect(changed.stdout).toMatch(/password changed/);
      granted(await login('frank', 'frank-password-4'));
    });

    it("fails with the server's reason, and never changes the password then", async () => {
      const frank = as('frank', 'frank-password-4');
      await Promise.all([
        cliFails(['passwd', '--password-stdin'], /^portcullis: 403: oldPassword is not the current password/m, {
          input: 'wrong-password\nfrank-password-5',
          env: frank,
        }),
        cliFails(['passwd', '--password-stdin'], /^portcullis: 400: password must be at least 8 characters/m, { input: 'frank-password-4\nshort', env: frank }),
        cliFails(['passwd', '--password-stdin'], /expects two lines: the current password, then the new one/, { input: 'frank-password-5\n', env: frank }),
        cliFails(['passwd'], /no terminal to ask for a password: use --password-stdin/, { env: frank }),
        cliFails(['user', 'ls'], /^portcullis: 403: only system admins may use the admin API/m, { env: frank }),
        cliFails(['whoami'], /your password needed: set PORTCULLIS_PASSWORD/, { env: { PORTCULLIS_PASSWORD: '' } }),
        cliFails(['whoami'], /^portcullis: 401: invalid credentials or account disabled \(logging in as frank\)/m, { env: as('frank', 'wrong-password') }),
      ]);
      granted(await login('frank', 'frank-password-4'));
    });
  });

  describe('personal access tokens: token create / ls / rm', { timeout: 120_000 }, () => {
    const gina = { PORTCULLIS_USER: 'gina', PORTCULLIS_PASSWORD: 'gina-password-1' };
    const pushPull = (password: string) => realmGet(t.app, { service: 'registry', scope: 'repository:tok/app:pull,push' }, basic('gina', password));
    beforeAll(async () => {
      await t.app.services.admin.createUser('gina', new Secret('gina-password-1'), false);
      await t.app.services.admin.createProject('tok', false);
      await t.app.services.admin.setMember('tok', { kind: 'user', name: 'gina' }, 'developer');
    });

    it('creates a limited token for the caller, lists it without the token, and revokes it', async () => {
      const token = (await cliOk(['token', 'create', 'laptop', '--project', 'tok', '--actions', 'pull', '--expires-in-days', '7'], { env: gina })).trim();
      expect(token).toMatch(/^pcp_[A-Za-z0-9_-]{43}$/);
      expect(granted(await pushPull(token)).access).toEqual([{ type: 'repository', name: 'tok/app', actions: ['pull'] }]);
      const table = await cliOk(['token', 'ls'], { env: gina });
      expect(table).toMatch(/^ID\s+OWNER\s+NAME\s+PROJECTS\s+ACTIONS\s+EXPIRESAT\s+LASTUSEDAT\n\d+\s+gina\s+laptop\s+tok\s+pull\s+20/);
      expect(table).not.toContain(token);
      const [listed] = await json<{ id: number; name: string }[]>(['token', 'ls', '--owner', 'gina']);
      expect(listed?.name).toBe('laptop');
      const config = JSON.parse(
        await cliOk(['token', 'create', 'ci', '--output', 'dockerconfigjson', '--registry', 'reg.example.org:5000'], { env: gina }),
      ) as { auths: Record<string, { auth: string }> };
      const [user, ciToken] = Buffer.from(config.auths['reg.example.org:5000']?.auth ?? '', 'base64')
        .toString()
        .split(':');
      expect(user).toBe('gina');
      expect(granted(await pushPull(ciToken as string)).access).toEqual([{ type: 'repository', name: 'tok/app', actions: ['pull', 'push'] }]);

      expect(await cliOk(['token', 'rm', String(listed?.id)], { env: gina })).toMatch(/revoked/);
      expect(errorCode(await pushPull(token), 401)).toBe('UNAUTHORIZED');
      // A system admin revokes anyone's.
      const [ci] = await json<{ id: number }[]>(['token', 'ls', '--all']);
      await cliOk(['token', 'rm', String(ci?.id), '--owner', 'gina']);
      expect(errorCode(await pushPull(ciToken as string), 401)).toBe('UNAUTHORIZED');
      await Promise.all([
        cliFails(['token', 'rm', 'abc'], /token id must be a number/),
        cliFails(['token', 'ls', '--owner', 'admin'], /^portcullis: 403: only system admins/m, { env: gina }),
        cliFails(['token', 'create', 'x', '--output', 'dockerconfigjson'], /needs --registry/, { env: gina }),
      ]);
    });
  });

  describe('offline commands', { timeout: 120_000 }, () => {
    let keysDir: string;
    beforeAll(async () => {
      keysDir = join(tmp.path, 'keys');
      await cliOk(['keys', 'generate', '--dir', keysDir]);
    });

    it('keys generate writes a private key only its owner can read, and refuses to overwrite it', async () => {
      expect((await stat(join(keysDir, 'token.key'))).mode & 0o777).toBe(0o600);
      const cert = new X509Certificate(await readFile(join(keysDir, 'token.crt')));
      expect(cert.publicKey.asymmetricKeyType).toBe('ec');
      const before = await readFile(join(keysDir, 'token.key'), 'utf8');
      const rsaDir = join(tmp.path, 'rsa');
      await Promise.all([
        cliFails(['keys', 'generate', '--dir', keysDir], /token\.key exists; pass --force/),
        cliOk(['keys', 'generate', '--dir', rsaDir, '--alg', 'RS256']),
      ]);
      expect(await readFile(join(keysDir, 'token.key'), 'utf8')).toBe(before);
      expect(new X509Certificate(await readFile(join(rsaDir, 'token.crt'))).publicKey.asymmetricKeyType).toBe('rsa');
    });

    it('keys jwks and keys bundle describe the configured key; registry-config prints the auth.token block', async () => {
      const config = join(tmp.path, 'portcullis.yml');
      await writeFile(config, `publicUrl: https://auth.example.com/\ntoken:\n  keysDir: ${keysDir}\n  service: my-registry\n  issuer: my-issuer\n`);
      const cert = new X509Certificate(await readFile(join(keysDir, 'token.crt')));

      const [jwks, bundle, block] = await Promise.all([
        cliOk(['keys', 'jwks', '-c', config]),
        cliOk(['keys', 'bundle', '-c', config]),
        cliOk(['registry-config', '-c', config, '--jwks-path', '/etc/registry/jwks.json']),
      ]);
      expect(JSON.parse(jwks)).toEqual({
        keys: [expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: libtrustKeyId(cert.publicKey) })],
      });
      expect(jwks).not.toContain('"d"');

      expect(new X509Certificate(bundle).fingerprint256).toBe(cert.fingerprint256);
      expect(bundle).not.toMatch(/PRIVATE KEY/);

      expect(parseYaml(block)).toMatchObject({
        auth: {
          token: {
            realm: 'https://auth.example.com/token',
            service: 'my-registry',
            issuer: 'my-issuer',
            rootcertbundle: join(keysDir, 'bundle.pem'),
            jwks: '/etc/registry/jwks.json',
          },
        },
      });
    });

    it('registry-config prints the notifications block for the audit trail, with the events secret or a placeholder', async () => {
      const config = join(tmp.path, 'events.yml');
      await writeFile(config, `publicUrl: https://auth.example.com/\ntoken:\n  keysDir: ${keysDir}\n`);
      const endpointOf = (yaml: string) => (parseYaml(yaml) as { notifications: { endpoints: Record<string, unknown>[] } }).notifications.endpoints;
      const [unset, set] = await Promise.all([
        cliOk(['registry-config', '-c', config]),
        cliOk(['registry-config', '-c', config], { env: { PORTCULLIS_EVENTS_SECRET: 'an-events-secret-of-enough-length' } }),
      ]);
      expect(endpointOf(unset)).toEqual([
        expect.objectContaining({
          url: 'https://auth.example.com/events',
          headers: { Authorization: ['Bearer <audit.events.secret, or PORTCULLIS_EVENTS_SECRET>'] },
        }),
      ]);
      expect(endpointOf(set)).toEqual([
        expect.objectContaining({ url: 'https://auth.example.com/events', headers: { Authorization: ['Bearer an-events-secret-of-enough-length'] } }),
      ]);
    });

    it('a bad configuration file fails naming the key', async () => {
      const bad = join(tmp.path, 'bad.yml');
      await writeFile(bad, 'token:\n  ttlSeconds: 5\n');
      await cliFails(['registry-config', '-c', bad], /token\.ttlSeconds is invalid/);
    });
  });
});
