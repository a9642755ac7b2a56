import { describe, expect, it } from 'vitest';
import type { LdapSettings } from '../../../src/config/ldap.js';
import { resolveConfig } from '../../../src/config/load.js';
import { codeOf } from '../../helpers/errors.js';

const URLS = ['ldap://127.0.0.1:389'];
const ACCOUNT = { bindDn: 'cn=svc,dc=x', bindPassword: 'svc-password' };
const ldapOf = (ldap: Record<string, unknown>): LdapSettings => resolveConfig({ ldap: { urls: URLS, ...ldap } }).ldap as LdapSettings;

describe('the ldap section resolves to one mode', () => {
  it.each<[string, Record<string, unknown>, LdapSettings['mode']]>([
    [
      'search then bind',
      { search: { ...ACCOUNT, baseDn: 'ou=people,dc=x' } },
      {
        kind: 'search',
        account: { dn: ACCOUNT.bindDn, password: ACCOUNT.bindPassword },
        search: { baseDn: 'ou=people,dc=x', filter: '(&(objectClass=inetOrgPerson)(uid={username}))' },
      },
    ],
    [
      'bind, entry read by the service account',
      { bindDnTemplate: 'uid={username},dc=x', search: { ...ACCOUNT, baseDn: 'dc=x', filter: '(uid={username})' } },
      {
        kind: 'bind',
        dnTemplate: 'uid={username},dc=x',
        entry: { kind: 'search', search: { baseDn: 'dc=x', filter: '(uid={username})' }, account: { dn: ACCOUNT.bindDn, password: ACCOUNT.bindPassword } },
      },
    ],
    [
      'bind, entry searched as the user',
      { bindDnTemplate: 'uid={username},dc=x', search: { baseDn: 'dc=x' } },
      {
        kind: 'bind',
        dnTemplate: 'uid={username},dc=x',
        entry: { kind: 'search', search: { baseDn: 'dc=x', filter: '(&(objectClass=inetOrgPerson)(uid={username}))' } },
      },
    ],
    ['bind, the DN itself read', { bindDnTemplate: 'uid={username},dc=x' }, { kind: 'bind', dnTemplate: 'uid={username},dc=x', entry: { kind: 'dn' } }],
    [
      'bind to a UPN, groups off',
      { bindDnTemplate: '{username}@corp.example', groups: { source: 'none' } },
      { kind: 'bind', dnTemplate: '{username}@corp.example', entry: { kind: 'none' } },
    ],
  ])('%s', (_, raw, mode) => {
    expect(ldapOf(raw).mode).toEqual(mode);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['neither template nor service account', { search: { baseDn: 'dc=x' } }, 'ldap.bindDnTemplate or ldap.search.bindDn'],
    ['account without password', { search: { bindDn: 'cn=svc', baseDn: 'dc=x' } }, 'go together'],
    ['unknown placeholder in the template', { bindDnTemplate: 'uid={user},dc=x' }, 'ldap.bindDnTemplate'],
    ['a filter that does not parse', { search: { ...ACCOUNT, baseDn: 'dc=x', filter: '(uid={username}' } }, 'ldap.search.filter'],
    ['group search without baseDn', { bindDnTemplate: 'uid={username},dc=x', groups: { source: 'search' } }, 'ldap.groups.baseDn'],
    ['groups from a UPN bind with nothing to read them with', { bindDnTemplate: '{username}@corp.example' }, 'ldap.search'],
  ])('refuses %s, naming the key', (_, raw, key) => {
    expect(codeOf(() => ldapOf(raw))).toBe('CONFIG_INVALID');
    expect(() => ldapOf(raw)).toThrow(key);
  });

  it('keeps only what the group source needs', () => {
    expect(ldapOf({ bindDnTemplate: 'uid={username},dc=x' }).groups).toEqual({ source: 'memberOf', nestedDepth: 0 });
    expect(ldapOf({ bindDnTemplate: 'uid={username},dc=x', groups: { source: 'search', baseDn: 'ou=groups,dc=x', nestedDepth: 2 } }).groups).toMatchObject({
      source: 'search',
      baseDn: 'ou=groups,dc=x',
      nestedDepth: 2,
      nameAttribute: 'cn',
    });
  });
});
