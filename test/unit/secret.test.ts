import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';

const VALUE = 'hunter2-s3cret';

describe('Secret', () => {
  it.each<[string, (s: Secret) => string]>([
    ['String()', (s) => String(s)],
    ['template literal', (s) => `${s}`],
    ['concatenation', (s) => 'pw=' + s],
    ['JSON.stringify', (s) => JSON.stringify(s)],
    ['JSON.stringify nested', (s) => JSON.stringify({ user: 'alice', password: s })],
    ['util.inspect', (s) => inspect(s)],
    ['util.inspect nested, deep', (s) => inspect({ creds: { password: s } }, { depth: 10, showHidden: true })],
    ['util.format %s', (s) => format('%s', s)],
    ['util.format %o', (s) => format('%o', s)],
    ['util.format %j', (s) => format('%j', { s })],
  ])('%s prints *** and never the value', (_, show) => {
    const out = show(new Secret(VALUE));
    expect(out).toContain('***');
    expect(out).not.toContain(VALUE);
  });

  it.each([
    ['toString', (s: Secret) => s.toString(), '***'],
    ['toJSON', (s: Secret) => JSON.stringify(s), '"***"'],
    ['inspect', (s: Secret) => inspect(s), 'Secret(***)'],
  ])('%s is exactly %s', (_, show, expected) => {
    expect(show(new Secret(VALUE))).toBe(expected);
  });

  it.each([
    ['', true],
    ['x', false],
  ])('reveal returns the value; isEmpty for %j is %s', (value, empty) => {
    const s = new Secret(value);
    expect(s.reveal()).toBe(value);
    expect(s.isEmpty).toBe(empty);
  });
});
