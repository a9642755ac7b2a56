import type { Entry } from 'ldapts';
import type { GroupSettings } from '../../config/ldap.js';
import { escapeFilterValue, fillTemplate } from '../../config/ldap-templates.js';
import { attrValues, isDirectoryAnswer, type Search } from './connection.js';
import { firstRdnValue } from './dn.js';

/** What the directory says about a user once found: where they are and what memberOf lists. */
export interface UserEntry {
  dn: string;
  username: string;
  memberOf: string[];
}

interface Group {
  dn: string;
  name: string;
}

/**
 * The names of the user's groups: from memberOf or a group search, then `nestedDepth` more
 * levels of groups that contain those groups. Seen DNs are skipped, so cycles end.
 */
export async function groupsOf(search: Search, user: UserEntry, s: GroupSettings): Promise<string[]> {
  if (s.source === 'none') return [];
  const byDn = new Map<string, Group>();
  const fresh = (groups: Group[]) =>
    groups.filter((g) => {
      const key = g.dn.toLowerCase();
      if (byDn.has(key)) return false;
      byDn.set(key, g);
      return true;
    });
  let level = fresh(
    s.source === 'memberOf'
      ? user.memberOf.map(fromDn)
      : await searchGroups(search, s, fillTemplate(s.filter, { dn: user.dn, username: user.username }, escapeFilterValue)),
  );
  for (let depth = 1; depth <= s.nestedDepth && level.length > 0; depth++) {
    level = fresh(s.source === 'memberOf' ? await parentsByMemberOf(search, level) : await parentsBySearch(search, s, level));
  }
  return [...new Set([...byDn.values()].map((g) => g.name))];
}

const fromDn = (dn: string): Group => ({ dn, name: firstRdnValue(dn) });

async function parentsByMemberOf(search: Search, groups: Group[]): Promise<Group[]> {
  const lists = await Promise.all(
    groups.map(async (g) => {
      try {
        const [entry] = await search(g.dn, { scope: 'base', attributes: ['memberOf'] });
        return entry ? attrValues(entry, 'memberOf') : [];
      } catch (err) {
        // A group the account may not read, or one deleted meanwhile, simply has no parents.
        if (isDirectoryAnswer(err)) return [];
        throw err;
      }
    }),
  );
  return lists.flat().map(fromDn);
}

type GroupSearch = Extract<GroupSettings, { source: 'search' }>;

function parentsBySearch(search: Search, s: GroupSearch, groups: Group[]): Promise<Group[]> {
  const any = groups.map((g) => fillTemplate(s.nestedFilter, { dn: g.dn }, escapeFilterValue)).join('');
  return searchGroups(search, s, `(|${any})`);
}

async function searchGroups(search: Search, s: GroupSearch, filter: string): Promise<Group[]> {
  const entries = await search(s.baseDn, { scope: 'sub', filter, attributes: [s.nameAttribute] });
  return entries.map((e: Entry) => ({ dn: e.dn, name: attrValues(e, s.nameAttribute)[0] ?? firstRdnValue(e.dn) }));
}

/** Group classes a memberOf DN points at, on OpenLDAP and Active Directory. */
const GROUP_CLASSES = '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group)(objectClass=posixGroup))';

/**
 * Whether a group of that name exists, as members name it (`group:NAME`): by nameAttribute under
 * groups.baseDn for a group search; for memberOf, whose names are the first RDN of each DN, by
 * cn in every naming context the root DSE lists.
 */
export async function groupExists(search: Search, s: Exclude<GroupSettings, { source: 'none' }>, name: string): Promise<boolean> {
  const value = escapeFilterValue(name);
  if (s.source === 'search') {
    return (await search(s.baseDn, { scope: 'sub', filter: `(${s.nameAttribute}=${value})`, attributes: ['1.1'] })).length > 0;
  }
  const [root] = await search('', { scope: 'base', attributes: ['namingContexts'] });
  for (const base of root ? attrValues(root, 'namingContexts') : []) {
    if ((await search(base, { scope: 'sub', filter: `(&(cn=${value})${GROUP_CLASSES})`, attributes: ['1.1'] })).length > 0) return true;
  }
  return false;
}
