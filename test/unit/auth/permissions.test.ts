import { describe, expect, it } from 'vitest';
import type { ProjectAccess, RepositoryAction, Role } from '../../../src/domain/model.js';
import { grant, projectOf, type Grantee } from '../../../src/auth/permissions.js';
import { formatScope, parseScopes } from '../../../src/token/scope.js';

const USER: Grantee = { admin: false, anonymous: false };
const ADMIN: Grantee = { admin: true, anonymous: false };
const ANON: Grantee = { admin: false, anonymous: true };

const REQUEST = ['repository:p/app:pull,push,delete,*'];

/** What `who` gets for pull,push,delete,* on p/app when project p is as given. */
function granted(who: Grantee, project: ProjectAccess | undefined, scopes = REQUEST): string[] {
  const projects = new Map(project ? [['p', project]] : []);
  return grant(parseScopes(scopes, { maxScopes: 64, maxScopeLength: 512 }), who, projects).map(formatScope);
}

describe('projectOf', () => {
  it.each([
    ['nginx', 'library'],
    ['library/nginx', 'library'],
    ['team/app', 'team'],
    ['team/app/x', 'team'],
    ['localhost:5000/foo/bar', 'localhost:5000'],
  ])('%s -> %s', (repo, project) => {
    expect(projectOf(repo)).toBe(project);
  });
});

describe('grant: repository matrix', () => {
  const all = ['repository:p/app:pull,push,delete,*'];
  const pullPush = ['repository:p/app:pull,push'];
  const pull = ['repository:p/app:pull'];
  it.each<[string, Grantee, Role[], boolean, string[]]>([
    ['admin role, private', USER, ['admin'], false, all],
    ['maintainer, private', USER, ['maintainer'], false, all],
    ['developer, private', USER, ['developer'], false, pullPush],
    ['guest, private', USER, ['guest'], false, pull],
    ['limitedGuest, private', USER, ['limitedGuest'], false, pull],
    ['no role, private', USER, [], false, []],
    ['no role, public', USER, [], true, pull],
    ['developer, public', USER, ['developer'], true, pullPush],
    ['guest + developer (user and group)', USER, ['guest', 'developer'], false, pullPush],
    ['system admin, private, no role', ADMIN, [], false, all],
    ['system admin, public', ADMIN, [], true, all],
    ['anonymous, private', ANON, [], false, []],
    ['anonymous, public', ANON, [], true, pull],
    ['anonymous never uses roles', ANON, ['admin'], false, []],
  ])('%s', (_, who, roles, isPublic, expected) => {
    expect(granted(who, { public: isPublic, roles })).toEqual(expected);
  });

  it.each([
    ['user', USER],
    ['system admin', ADMIN],
    ['anonymous', ANON],
  ])('a project that does not exist grants nothing, not even push to a %s', (_, who) => {
    expect(granted(who, undefined)).toEqual([]);
  });
});

describe('grant: other resources and actions', () => {
  it.each<[string, Grantee, ProjectAccess | undefined, string[], string[]]>([
    ['catalog for system admin', ADMIN, undefined, ['registry:catalog:*'], ['registry:catalog:*']],
    ['catalog for a maintainer', USER, { public: true, roles: ['maintainer'] }, ['registry:catalog:*'], []],
    ['catalog for anonymous', ANON, undefined, ['registry:catalog:*'], []],
    ['other registry name for admin', ADMIN, undefined, ['registry:other:*'], []],
    ['unknown type for admin', ADMIN, { public: true, roles: ['admin'] }, ['foo:p/app:pull', 'repo:p/app:pull'], []],
    ['unknown action', ADMIN, { public: true, roles: ['admin'] }, ['repository:p/app:pull,bogus,PULL'], ['repository:p/app:pull']],
    ['empty action list', ADMIN, { public: true, roles: ['admin'] }, ['repository:p/app:'], []],
    ['* for a developer', USER, { public: false, roles: ['developer'] }, ['repository:p/app:*'], []],
    ['* for a maintainer', USER, { public: false, roles: ['maintainer'] }, ['repository:p/app:*'], ['repository:p/app:*']],
    ['other project is not p', USER, { public: false, roles: ['maintainer'] }, ['repository:q/app:pull', 'repository:app:pull'], []],
    ['nested repo in p', USER, { public: false, roles: ['guest'] }, ['repository:p/a/b/c:pull,push'], ['repository:p/a/b/c:pull']],
    [
      'mount: granted per resource',
      USER,
      { public: false, roles: ['developer'] },
      ['repository:p/app:pull,push', 'repository:q/src:pull'],
      ['repository:p/app:pull,push'],
    ],
  ])('%s', (_, who, project, scopes, expected) => {
    expect(granted(who, project, scopes)).toEqual(expected);
  });

  it('single-segment names live in the library project', () => {
    const projects = new Map([['library', { public: true, roles: [] }]]);
    const scopes = parseScopes(['repository:nginx:pull,push'], { maxScopes: 64, maxScopeLength: 512 });
    expect(grant(scopes, ANON, projects).map(formatScope)).toEqual(['repository:nginx:pull']);
  });
});

describe('grant: robots (requested ∩ the robot permissions, nothing else)', () => {
  const robot = (...permissions: [string | null, RepositoryAction[]][]): Grantee => ({
    admin: false,
    anonymous: false,
    robot: permissions.map(([project, actions]) => ({ project, actions })),
  });
  const ALL = ['repository:p/app:pull,push,delete,*'];
  it.each<[string, Grantee, ProjectAccess | undefined, string[], string[]]>([
    ['pull-only robot of p', robot(['p', ['pull']]), { public: false, roles: [] }, ALL, ['repository:p/app:pull']],
    ['push robot of p', robot(['p', ['pull', 'push']]), { public: false, roles: [] }, ALL, ['repository:p/app:pull,push']],
    ['every action: * too', robot(['p', ['pull', 'push', 'delete']]), { public: false, roles: [] }, ALL, ALL],
    ['a permission on another project', robot(['q', ['pull', 'push']]), { public: false, roles: [] }, ALL, []],
    ['no public pull beyond its permissions', robot(['q', ['pull']]), { public: true, roles: [] }, ALL, []],
    ['roles never count for a robot', robot(['p', ['pull']]), { public: false, roles: ['admin'] }, ALL, ['repository:p/app:pull']],
    ['all projects (system robot)', robot([null, ['pull']]), { public: false, roles: [] }, ALL, ['repository:p/app:pull']],
    ['all projects and p add up', robot([null, ['pull']], ['p', ['push']]), { public: false, roles: [] }, ALL, ['repository:p/app:pull,push']],
    ['a project that does not exist', robot([null, ['pull', 'push', 'delete']]), undefined, ALL, []],
    ['never the catalog, even flagged admin', { ...robot([null, ['pull', 'push', 'delete']]), admin: true }, undefined, ['registry:catalog:*'], []],
    ['no permissions at all', robot(), { public: true, roles: ['admin'] }, ALL, []],
  ])('%s', (_, who, project, scopes, expected) => {
    expect(granted(who, project, scopes)).toEqual(expected);
  });
});
