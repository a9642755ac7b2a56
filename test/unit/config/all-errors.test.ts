import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { closest } from '../../../src/config/suggest.js';

function messageOf(raw: unknown): string {
  try {
    resolveConfig(raw);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('resolveConfig reports every error at once', () => {
  it('lists each unknown key with the known key it is closest to', () => {
    const lines = messageOf({
      tokn: {},
      token: { isuer: 'x', ttlSecond: 60 },
      auth: { backend: ['local'] },
      ldap: { urls: ['ldap://x'], bindDnTemplate: 'uid={username}', grups: {} },
    }).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'tokn is not a known option (did you mean token?)',
        'token.isuer is not a known option (did you mean token.issuer?)',
        'token.ttlSecond is not a known option (did you mean token.ttlSeconds?)',
        'auth.backend is not a known option (did you mean auth.backends?)',
        'ldap.grups is not a known option (did you mean ldap.groups?)',
      ]),
    );
  });

  it('offers no guess when nothing is close', () => {
    expect(messageOf({ zzzzzzzz: 1 })).toBe('zzzzzzzz is not a known option');
  });

  it('reports unknown keys and invalid values together, one line per key', () => {
    const lines = messageOf({ tokne: {}, listen: 'nowhere', log: { level: 'loud' }, auth: { bcryptCost: 3 } }).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^tokne is not a known option/);
    for (const key of ['listen', 'log.level', 'auth.bcryptCost']) expect(lines.some((l) => l.startsWith(`${key} is invalid`))).toBe(true);
  });
});

describe('closest', () => {
  it.each<[string, string[], string | undefined]>([
    ['isuer', ['issuer', 'service'], 'issuer'],
    ['ISSUER', ['issuer'], 'issuer'],
    ['bindPasword', ['bindDn', 'bindPassword'], 'bindPassword'],
    ['x', ['issuer'], undefined],
    ['servicee', [], undefined],
  ])('%s among %j -> %s', (key, known, expected) => {
    expect(closest(key, known)).toBe(expected);
  });
});
