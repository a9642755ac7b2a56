import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'ldapts';
import { readFile } from 'node:fs/promises';
import { startSlapd, type Slapd } from '../harness/slapd.js';
import { LDAP_GROUPS, LDAP_SERVICE, LDAP_USERS } from '../fixtures/ldap/index.js';

describe('slapd harness', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterAll(async () => {
    await slapd?.close();
  });

  it('loads the fixtures with memberOf filled by the overlay, also on nested groups', async () => {
    const client = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: await readFile(slapd.caFile) } });
    try {
      await client.bind(LDAP_SERVICE.dn, LDAP_SERVICE.password);
      const { searchEntries } = await client.search(LDAP_USERS.erin.dn, { scope: 'base', attributes: ['memberOf'] });
      expect(searchEntries[0]?.memberOf).toBe(LDAP_GROUPS.backend);
      const backend = await client.search(LDAP_GROUPS.backend, { scope: 'base', attributes: ['memberOf'] });
      expect(backend.searchEntries[0]?.memberOf).toBe(LDAP_GROUPS.developers);
    } finally {
      await client.unbind();
    }
  });

  it('counts connections in cn=Monitor', async () => {
    const before = await slapd.monitor('cn=Total,cn=Connections');
    const after = await slapd.monitor('cn=Total,cn=Connections');
    expect(after).toBe(before + 1);
  });
});
