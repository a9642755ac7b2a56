import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { loggerOptions } from '../../src/routes/logging.js';
import { requireBinary } from '../harness/proc.js';
import { ADMIN, basic, buildTestApp, type TestApp } from '../helpers/app.js';
import { cleanEnv, cli, onTerminal } from '../helpers/cli.js';
import { granted, realmGet } from '../helpers/realm.js';

describe('a CLI that guards its user', { timeout: 180_000 }, () => {
  let t: TestApp;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let log = '';
  const users = () => t.app.services.store.users;

  beforeAll(async () => {
    await requireBinary('script');
    const stream = { write: (line: string) => (log += line) };
    t = await buildTestApp({}, { logger: { ...(loggerOptions('info') as object), stream } });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    env = cleanEnv({ PORTCULLIS_URL: url, PORTCULLIS_USER: ADMIN.username, PORTCULLIS_PASSWORD: ADMIN.password });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('on a terminal', () => {
    const noPassword = () => cleanEnv({ PORTCULLIS_URL: url, PORTCULLIS_USER: ADMIN.username });

    it('asks for the missing admin password and the new one twice, echoing none of them', async () => {
      const res = await onTerminal(
        noPassword(),
        ['user', 'add', 'tina'],
        [
          [/Password of admin at http:\/\/127\.0\.0\.1:\d+: /, ADMIN.password],
          [/Password for tina: /, 'tina-password-1'],
          [/Again: /, 'tina-password-1'],
        ],
      );
      expect(res.code, res.screen).toBe(0);
      expect(res.screen).toContain('user tina created');
      for (const secret of [ADMIN.password, 'tina-password-1']) expect(res.screen).not.toContain(secret);
      granted(await realmGet(t.app, { service: 'registry' }, basic('tina', 'tina-password-1')));
    });

    it('refuses two new passwords that differ, and changes nothing', async () => {
      const res = await onTerminal(
        env,
        ['user', 'passwd', 'tina'],
        [
          [/New password for tina: /, 'tina-password-2'],
          [/Again: /, 'tina-password-3'],
        ],
      );
      expect(res.code).toBe(1);
      expect(res.screen).toContain('portcullis: the two passwords differ; nothing changed');
      granted(await realmGet(t.app, { service: 'registry' }, basic('tina', 'tina-password-1')));
    });

    it('asks before removing, and removes only on yes', async () => {
      const no = await onTerminal(env, ['user', 'rm', 'tina'], [[/Remove user tina\? \[y\/N\] /, 'n']]);
      expect(no.code).toBe(1);
      expect(no.screen).toContain('portcullis: not confirmed; did not remove user tina');
      expect(await users().find('tina')).not.toBeNull();
      const yes = await onTerminal(env, ['user', 'rm', 'tina'], [[/Remove user tina\? \[y\/N\] /, 'y']]);
      expect(yes.code, yes.screen).toBe(0);
      expect(await users().find('tina')).toBeNull();
    });

    it('says what removing your own account does before asking', async () => {
      await t.app.services.admin.createUser('root2', new Secret('root2-password-1'), true);
      const self = { ...env, PORTCULLIS_USER: 'root2', PORTCULLIS_PASSWORD: 'root2-password-1' };
      const res = await onTerminal(self, ['user', 'rm', 'root2'], [[/Remove user root2\? \[y\/N\] /, 'y']]);
      expect(res.code, res.screen).toBe(0);
      expect(res.screen).toMatch(/you are logged in as root2: to remove it ends your own access with this command;.*Remove user root2\?/s);
      expect(await users().find('root2')).toBeNull();
    });
  });

  describe('without a terminal', () => {
    it('refuses rm without --yes, with the hint', async () => {
      await t.app.services.admin.createProject('keep', false);
      for (const [args, what] of [
        [['user', 'rm', ADMIN.username], `user ${ADMIN.username}`],
        [['project', 'rm', 'keep'], 'project keep'],
        [['robot', 'rm', 'robot$keep+x'], 'robot robot$keep+x'],
      ] as const) {
        const res = await cli(env, [...args]);
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(`portcullis: refusing to remove ${what} without confirmation: there is no terminal to ask on; pass --yes`);
      }
      expect(await t.app.services.store.projects.find('keep')).not.toBeNull();
    });

    it('says what removing library and disabling yourself do, first', async () => {
      const library = await cli(env, ['project', 'rm', 'library']);
      expect(library.stderr).toMatch(
        /^portcullis: library is the project of every repository named without a slash .*until a project library is created again/m,
      );
      expect(await t.app.services.store.projects.find('library')).not.toBeNull();

      await t.app.services.admin.createUser('root3', new Secret('root3-password-1'), true);
      const self = { env: { PORTCULLIS_USER: 'root3', PORTCULLIS_PASSWORD: 'root3-password-1' } };
      const refused = await cli(env, ['user', 'disable', 'root3'], self);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('you are logged in as root3: to disable it ends your own access');
      expect((await users().find('root3'))?.disabled).toBe(false);
      const disabled = await cli(env, ['user', 'disable', 'root3', '--yes'], self);
      expect(disabled.code, disabled.stderr).toBe(0);
      expect(disabled.stderr).toContain('another system admin can undo it with `portcullis user enable root3`');
      expect((await users().find('root3'))?.disabled).toBe(true);
      // Someone else's account: no question.
      expect((await cli(env, ['user', 'enable', 'root3'])).code).toBe(0);
    });
  });

  describe('errors say what to do', () => {
    let notPortcullis: Server;
    let otherUrl: string;
    beforeAll(async () => {
      // What a registry (or any other server) answers on a path it does not know.
      notPortcullis = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n'));
      await new Promise<void>((resolve) => notPortcullis.listen(0, '127.0.0.1', resolve));
      otherUrl = `http://127.0.0.1:${(notPortcullis.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => notPortcullis.close(resolve));
    });

    it('names the fix for a URL without a scheme, a server that is not Portcullis, a wrong path', async () => {
      const [bare, other, path] = await Promise.all([
        cli(env, ['user', 'ls'], { env: { PORTCULLIS_URL: url.replace('http://', '') } }),
        cli(env, ['--url', otherUrl, 'user', 'ls']),
        cli(env, ['--url', `${url}/auth`, 'user', 'ls']),
      ]);
      const host = url.replace('http://', '');
      expect(bare.stderr).toBe(
        `portcullis: PORTCULLIS_URL "${host}" needs http:// or https://: use http://${host} (or https://${host} if the service has tls configured)\n`,
      );
      expect(other.stderr).toBe(
        `portcullis: ${otherUrl} is not a Portcullis service (GET /api/v1/users answered 404 without Portcullis's error body): check --url or PORTCULLIS_URL\n`,
      );
      expect(path.stderr).toMatch(/has no such route \(no route for GET \/auth\/api\/v1\/users\): check the URL's path/);
    });

    it('lists the valid roles for an unknown one, without asking the server', async () => {
      const res = await cli(env, ['member', 'set', 'library', 'nobody', 'owner']);
      expect(res.stderr).toBe('portcullis: unknown role "owner"; valid roles: admin, maintainer, developer, guest, limitedGuest\n');
    });

    it('tells a disabled user "invalid credentials or account disabled", and the log that it is disabled', async () => {
      await t.app.services.admin.createUser('dora', new Secret('dora-password-1'), false);
      await t.app.services.admin.updateUser('dora', { disabled: true });
      const res = await cli(env, ['whoami'], { env: { PORTCULLIS_USER: 'dora', PORTCULLIS_PASSWORD: 'dora-password-1' } });
      expect(res.stderr).toBe('portcullis: 401: invalid credentials or account disabled (logging in as dora)\n');
      const lines = log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; user?: string });
      expect(lines).toContainEqual(expect.objectContaining({ user: 'dora', msg: 'login refused: the account is disabled' }));
      // A wrong password is no proof of anything: it is not logged as a disabled login.
      await cli(env, ['whoami'], { env: { PORTCULLIS_USER: 'dora', PORTCULLIS_PASSWORD: 'wrong-password' } });
      expect(log.split('\n').filter((l) => l.includes('account is disabled'))).toHaveLength(1);
    });
  });
});
