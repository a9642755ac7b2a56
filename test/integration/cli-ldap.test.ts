import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirectory } from '../../src/backends/ldap/index.js';
import { LDAP_GROUPS_DN, LDAP_PEOPLE_DN, LDAP_SERVICE, LDAP_USERS } from '../fixtures/ldap/index.js';
import { bindModeConfig, resolveLdap, searchModeConfig, startSlapd, type Slapd } from '../harness/slapd.js';
import { ADMIN, buildTestApp, type TestApp } from '../helpers/app.js';
import { cleanEnv, cli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp.js';

const { alice, carol } = LDAP_USERS;

describe('the CLI with a directory', { timeout: 180_000 }, () => {
  let slapd: Slapd;
  let t: TestApp;
  let env: NodeJS.ProcessEnv;
  const tmp = useTempDir('cli-ldap');

  /** A config file for `ldap test`: this slapd, with `ldap` keys replaced by `extra`. */
  async function configFile(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const file = join(tmp().path, name);
    await writeFile(
      file,
      JSON.stringify({ auth: { backends: ['local', 'ldap'] }, ldap: searchModeConfig(slapd, { adminGroups: ['registry-admins'], ...extra }) }),
    );
    return file;
  }

  beforeAll(async () => {
    slapd = await startSlapd();
    t = await buildTestApp({ auth: { backends: ['local', 'ldap'] }, ldap: searchModeConfig(slapd) });
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    env = cleanEnv({ PORTCULLIS_URL: url, PORTCULLIS_USER: ADMIN.username, PORTCULLIS_PASSWORD: ADMIN.password, PORTCULLIS_LOG_LEVEL: 'silent' });
    await t.app.services.admin.createProject('team', false);
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.close();
  });

  describe('member set group:NAME', () => {
    it('sets a group the directory knows without a word', async () => {
      const res = await cli(env, ['member', 'set', 'team', 'group:developers', 'developer']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toBe('');
      expect(res.stdout).toBe('group:developers is developer of team\n');
    });

    it('warns about a group the directory does not know, and sets it all the same', async () => {
      const res = await cli(env, ['member', 'set', 'team', 'group:developrs', 'guest']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toBe(
        'portcullis: warning: the directory has no group "developrs": group:developrs was set, but matches nobody until such a group exists\n',
      );
      const json = JSON.parse((await cli(env, ['--json', 'member', 'set', 'team', 'group:developrs', 'guest'])).stdout) as Record<string, unknown>;
      expect(json).toEqual({ project: 'team', kind: 'group', name: 'developrs', role: 'guest', warning: expect.stringContaining('has no group "developrs"') });
      expect(await t.app.services.admin.listMembers('team')).toContainEqual({ principal: { kind: 'group', name: 'developrs' }, role: 'guest' });
      await cli(env, ['member', 'rm', 'team', 'group:developrs']);
    });
  });

  it('checks group names the way members name them: memberOf by cn, a group search by its name attribute', async () => {
    const check = async (raw: Record<string, unknown>, names: string[]) => {
      const directory = openDirectory(resolveLdap(raw));
      try {
        return await Promise.all(names.map(async (n) => (await directory.checkGroup(n)).kind));
      } finally {
        await directory.close();
      }
    };
    expect(await check(searchModeConfig(slapd), ['developers', 'Registry-Admins', 'developrs'])).toEqual(['found', 'found', 'missing']);
    const search = searchModeConfig(slapd, { groups: { source: 'search', baseDn: LDAP_GROUPS_DN } });
    expect(await check(search, ['ops', 'qa', 'developrs', 'people'])).toEqual(['found', 'found', 'missing', 'missing']);
    expect(await check(bindModeConfig(slapd), ['developers'])).toEqual(['unchecked']);
    expect(await check(searchModeConfig(slapd, { groups: { source: 'none' } }), ['developers'])).toEqual(['unchecked']);
  });

  describe('portcullis ldap test', () => {
    let offline: TestApp;
    let offlineEnv: NodeJS.ProcessEnv;
    beforeAll(async () => {
      // A store of its own, with the service stopped: the embedded store has one user at a time.
      offline = await buildTestApp({ auth: { backends: ['local', 'ldap'] }, ldap: searchModeConfig(slapd) });
      await offline.app.services.admin.createProject('team', false);
      await offline.app.services.admin.setMember('team', { kind: 'group', name: 'developers' }, 'developer');
      await offline.app.close();
      offlineEnv = cleanEnv({ PORTCULLIS_DATA_DIR: offline.dataDir, PORTCULLIS_LOG_LEVEL: 'silent' });
    });
    afterAll(async () => {
      await offline?.close().catch(() => undefined);
    });

    it('prints the DN, the groups, and the projects and roles they give, without a password', async () => {
      const res = await cli(offlineEnv, ['ldap', 'test', 'alice', '-c', await configFile('ok.json')]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(`dn      ${alice.dn}\n`);
      expect(res.stdout).toContain('bind    not tried (give --password to test it)\n');
      expect(res.stdout).toContain('groups  developers\n');
      expect(res.stdout).toContain('admin   no\n');
      expect(res.stdout).toMatch(/^PROJECT\s+ROLES\s+VIA\s+ACTIONS$/m);
      expect(res.stdout).toMatch(/^library\s+-\s+public\s+pull$/m);
      expect(res.stdout).toMatch(/^team\s+developer\s+group:developers\s+pull,push$/m);
    });

    it('tests the bind with a password, and says when it is refused', async () => {
      const config = await configFile('ok.json');
      const ok = await cli(offlineEnv, ['--json', 'ldap', 'test', 'carol', '-c', config, '--password-stdin'], { input: `${carol.password}\n` });
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({
        username: 'carol',
        dn: carol.dn,
        bind: 'ok',
        groups: ['registry-admins'],
        admin: true,
        adminVia: ['group:registry-admins'],
        projects: [
          { project: 'library', roles: [], via: ['system admin', 'public'], actions: ['pull', 'push', 'delete'] },
          { project: 'team', roles: [], via: ['system admin'], actions: ['pull', 'push', 'delete'] },
        ],
      });
      const wrong = await cli(offlineEnv, ['ldap', 'test', 'alice', '-c', config, '--password-stdin'], { input: 'wrong-password\n' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toBe('portcullis: the directory found alice but refused the password (or the entry is outside ldap.search.filter)\n');
      const nobody = await cli(offlineEnv, ['--json', 'ldap', 'test', 'nobody', '-c', config]);
      expect(JSON.parse(nobody.stderr)).toEqual({ error: 'the directory has no user nobody (the service account searched for it)' });
    });

    it('says the service account is refused, in words', async () => {
      const config = await configFile('wrong.json', { search: { bindDn: LDAP_SERVICE.dn, bindPassword: 'wrong-secret', baseDn: LDAP_PEOPLE_DN } });
      const res = await cli(offlineEnv, ['ldap', 'test', 'alice', '-c', config]);
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(`portcullis: the LDAP service account ${LDAP_SERVICE.dn} cannot bind: invalid credentials (49)\n`);
      expect(res.stderr).not.toContain('wrong-secret');
    });

    it('still reports the directory while serve holds the embedded store', async () => {
      const running = cleanEnv({ PORTCULLIS_DATA_DIR: t.dataDir, PORTCULLIS_LOG_LEVEL: 'silent' });
      const res = await cli(running, ['ldap', 'test', 'alice', '-c', await configFile('ok.json')]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('groups  developers\n');
      expect(res.stdout).toContain(`projects not read: the embedded data directory ${t.dataDir} is in use by another Portcullis process`);
    });
  });
});
