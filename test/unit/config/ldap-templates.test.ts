import { describe, expect, it } from 'vitest';
import { firstRdnValue } from '../../../src/backends/ldap/dn.js';
import { checkFilter, escapeDnValue, escapeFilterValue, fillTemplate } from '../../../src/config/ldap-templates.js';

describe('LDAP escaping', () => {
  it.each([
    ['alice', 'alice'],
    ['*)(uid=*', '*)(uid\\=*'],
    ['a,b+c;d<e>f"g\\h=i', 'a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h\\=i'],
    [' lead', '\\ lead'],
    ['#hash', '\\#hash'],
    ['trail ', 'trail\\ '],
    ['mid#dle sp', 'mid#dle sp'],
    ['nul\u0000', 'nul\\00'],
  ])('escapes %j for a DN (RFC 4514) as %j', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
  });

  it.each([
    ['alice', 'alice'],
    ['*)(uid=*', '\\2a\\29\\28uid=\\2a'],
    ['admin)(|(a=*', 'admin\\29\\28|\\28a=\\2a'],
    ['back\\slash', 'back\\5cslash'],
  ])('escapes %j for a filter (RFC 4515) as %j', (value, escaped) => {
    expect(escapeFilterValue(value)).toBe(escaped);
  });

  it('fills every placeholder escaped, and names an unknown one', () => {
    expect(fillTemplate('(&(uid={username})(member={dn}))', { username: '*', dn: 'cn=a(b)' }, escapeFilterValue)).toBe('(&(uid=\\2a)(member=cn=a\\28b\\29))');
    expect(() => fillTemplate('(uid={user})', { username: 'x' }, escapeFilterValue)).toThrow(/unknown placeholder \{user\}/);
  });

  it('checks a configured filter at start, naming the option', () => {
    expect(() => checkFilter('ldap.search.filter', '(uid={username}))', { username: 'x' })).toThrow(/ldap\.search\.filter/);
    expect(() => checkFilter('ldap.search.filter', '(uid={username})', { username: 'x' })).not.toThrow();
  });

  it.each([
    ['cn=developers,ou=groups,dc=example,dc=org', 'developers'],
    ['CN=Domain Users,CN=Users,DC=corp,DC=example', 'Domain Users'],
    ['cn=dev\\2Cops,ou=groups', 'dev,ops'],
    ['cn=dev\\,ops+gidNumber=5,ou=groups', 'dev,ops'],
    ['cn=caf\\C3\\A9', 'café'],
  ])('takes the group name from the first RDN of %j', (dn, name) => {
    expect(firstRdnValue(dn)).toBe(name);
  });
});
