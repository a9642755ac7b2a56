import { describe, expect, it } from 'vitest';
import type { ResourceScope } from '../../../src/domain/model.js';
import { formatScope, parseScope, parseScopes } from '../../../src/token/scope.js';
import { codeOf } from '../../helpers/errors.js';

const limits = { maxScopes: 64, maxScopeLength: 512 };

describe('parseScope', () => {
  it.each<[string, ResourceScope]>([
    ['repository:foo:pull', { type: 'repository', name: 'foo', actions: ['pull'] }],
    ['repository:foo/bar/baz:pull,push', { type: 'repository', name: 'foo/bar/baz', actions: ['pull', 'push'] }],
    ['repository:localhost:5000/foo/bar:pull', { type: 'repository', name: 'localhost:5000/foo/bar', actions: ['pull'] }],
    ['repository(plugin):foo:pull', { type: 'repository', name: 'foo', actions: ['pull'] }],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
    ['repository:foo:*', { type: 'repository', name: 'foo', actions: ['*'] }],
    ['repository:foo:', { type: 'repository', name: 'foo', actions: [] }],
    ['foo:bar:baz', { type: 'foo', name: 'bar', actions: ['baz'] }],
    ['repository:foo:pull,pull,push', { type: 'repository', name: 'foo', actions: ['pull', 'push'] }],
    ['repository:foo:pull,,push', { type: 'repository', name: 'foo', actions: ['pull', 'push'] }],
  ])('%s', (raw, expected) => {
    expect(parseScope(raw)).toEqual(expected);
  });

  it.each([
    'foo',
    'a:b',
    ':x:pull',
    'repository::pull',
    'repository:foo bar:pull',
    'repository:foo\tbar:pull',
    'repository:foo\u0000bar:pull',
    'repository:foo\u007fbar:pull',
    'repo sitory:foo:pull',
    'repository(:foo:pull',
  ])('rejects %j with INVALID_SCOPE', (raw) => {
    expect(codeOf(() => parseScope(raw))).toBe('INVALID_SCOPE');
  });
});

describe('parseScopes', () => {
  it.each<[string, string[], string[]]>([
    ['no scope', [], []],
    ['empty strings ignored', ['', ' ', ''], []],
    ['repeated params', ['repository:a:pull', 'repository:b:push'], ['repository:a:pull', 'repository:b:push']],
    ['space-separated in one value', ['repository:a:pull repository:b:push'], ['repository:a:pull', 'repository:b:push']],
    ['extra spaces', ['  repository:a:pull   repository:b:push '], ['repository:a:pull', 'repository:b:push']],
    ['duplicates merged, order kept', ['repository:a:push', 'repository:b:pull', 'repository:a:pull,push'], ['repository:a:push,pull', 'repository:b:pull']],
    ['class dropped before merging', ['repository(plugin):a:pull', 'repository:a:push'], ['repository:a:pull,push']],
    ['containerd overlap', ['repository:a:pull repository:a:pull,push repository:a:pull'], ['repository:a:pull,push']],
    ['same name, other type kept apart', ['repository:catalog:pull', 'registry:catalog:*'], ['repository:catalog:pull', 'registry:catalog:*']],
    ['empty action list merged', ['repository:a:', 'repository:a:pull'], ['repository:a:pull']],
  ])('%s', (_, values, expected) => {
    expect(parseScopes(values, limits).map(formatScope)).toEqual(expected);
  });

  it('does not alias the actions of the first occurrence', () => {
    const merged = parseScopes(['repository:a:pull', 'repository:a:push'], limits);
    expect(merged).toEqual([{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
  });

  it.each<[string, string[]]>([
    ['too many', Array.from({ length: 65 }, (_, i) => `repository:r${i}:pull`)],
    ['too many in one value', [Array.from({ length: 65 }, (_, i) => `repository:r${i}:pull`).join(' ')]],
    ['too long', [`repository:${'a'.repeat(500)}:pull`]],
    ['one malformed among good', ['repository:a:pull', 'a:b']],
  ])('%s -> INVALID_SCOPE', (_, values) => {
    expect(codeOf(() => parseScopes(values, limits))).toBe('INVALID_SCOPE');
  });

  it.each([
    ['64 scopes', Array.from({ length: 64 }, (_, i) => `repository:r${i}:pull`)],
    ['512 characters', [`repository:${'a'.repeat(512 - 'repository::pull'.length)}:pull`]],
  ])('accepts exactly the limit: %s', (_, values) => {
    expect(() => parseScopes(values, limits)).not.toThrow();
  });
});
