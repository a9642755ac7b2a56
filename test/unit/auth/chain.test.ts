import { describe, expect, it } from 'vitest';
import { AuthChain } from '../../../src/auth/chain.js';
import type { AuthOutcome, Authenticator } from '../../../src/domain/authn.js';
import { PasswordHasher } from '../../../src/auth/password-hasher.js';
import { BackendUnavailableError } from '../../../src/domain/errors.js';
import { Secret } from '../../../src/domain/secret.js';
import type { Identity, UserRecord } from '../../../src/domain/model.js';

const hasher = new PasswordHasher({ cost: 4, cacheTtlSeconds: 0, cacheSize: 0, concurrency: 1, maxWaiting: 100 });

type Behaviour = 'ok' | 'denied' | 'unknown' | 'down' | 'crash';

interface FakeBackend extends Authenticator {
  calls: string[];
}

function identity(name: string): Identity {
  return { username: 'alice', userId: 1, admin: false, groups: [name], source: 'local' };
}

function backend(name: string, behaviour: Behaviour): FakeBackend {
  const calls: string[] = [];
  return {
    name,
    calls,
    async authenticate(username: string, password: Secret): Promise<AuthOutcome> {
      calls.push(`${username}:${password.reveal()}`);
      if (behaviour === 'down') throw new BackendUnavailableError(name, new Error('ECONNREFUSED'));
      if (behaviour === 'crash') throw new Error(`${name} crashed`);
      if (behaviour === 'ok') return { kind: 'ok', identity: identity(name) };
      return { kind: behaviour };
    },
    async refresh(user: UserRecord) {
      return user.username === 'alice' ? identity(name) : null;
    },
  };
}

async function outcome(chain: AuthChain, username = 'alice', password = 'pw'): Promise<string> {
  try {
    const who = await chain.authenticate(username, new Secret(password));
    return who ? `ok:${who.groups[0]}` : 'null';
  } catch (err) {
    return (err as { code?: string }).code ?? `plain:${(err as Error).message}`;
  }
}

describe('AuthChain.authenticate', () => {
  it.each<[string, Behaviour[], string, boolean[]]>([
    ['first ok wins', ['ok', 'ok'], 'ok:b0', [true, false]],
    ['unknown passes on', ['unknown', 'ok'], 'ok:b1', [true, true]],
    ['denied ends the chain', ['denied', 'ok'], 'null', [true, false]],
    ['unknown then denied', ['unknown', 'denied', 'ok'], 'null', [true, true, false]],
    ['nobody knows the user', ['unknown', 'unknown'], 'null', [true, true]],
    ['no backends at all', [], 'null', []],
    ['down, a later one knows the user', ['down', 'ok'], 'ok:b1', [true, true]],
    ['down, a later one denies', ['down', 'denied'], 'null', [true, true]],
    ['ok before a down one', ['ok', 'down'], 'ok:b0', [true, false]],
    ['down and nobody else knows the user', ['down', 'unknown'], 'BACKEND_UNAVAILABLE', [true, true]],
    ['unknown then down', ['unknown', 'down'], 'BACKEND_UNAVAILABLE', [true, true]],
    ['all down', ['down', 'down'], 'BACKEND_UNAVAILABLE', [true, true]],
    ['a plain Error propagates', ['crash', 'ok'], 'plain:b0 crashed', [true, false]],
    ['a plain Error after a down one', ['down', 'crash'], 'plain:b1 crashed', [true, true]],
  ])('%s', async (_, behaviours, expected, asked) => {
    const backends = behaviours.map((b, i) => backend(`b${i}`, b));
    expect(await outcome(new AuthChain(backends, hasher))).toBe(expected);
    expect(backends.map((b) => b.calls.length > 0)).toEqual(asked);
  });

  it('the first unavailable backend is the one reported', async () => {
    const chain = new AuthChain([backend('ldap', 'down'), backend('other', 'down')], hasher);
    await expect(chain.authenticate('alice', new Secret('pw'))).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'ldap' });
  });

  it('passes the username and password through unchanged', async () => {
    const b = backend('b0', 'ok');
    await new AuthChain([b], hasher).authenticate('alice', new Secret('p:w d'));
    expect(b.calls).toEqual(['alice:p:w d']);
  });

  it.each([
    ['empty password', 'alice', ''],
    ['empty username', '', 'pw'],
    ['username with NUL', 'alice\u0000', 'pw'],
    ['username with a newline', 'alice\nadmin', 'pw'],
  ])('refuses an %s before asking any backend', async (_, username, password) => {
    const b = backend('b0', 'ok');
    expect(await outcome(new AuthChain([b], hasher), username, password)).toBe('null');
    expect(b.calls).toEqual([]);
  });
});

describe('AuthChain.refresh', () => {
  it.each([
    ['the owning backend', 'b1', 'alice', 'b1'],
    ['an unknown source', 'nope', 'alice', null],
    ['a user the backend no longer has', 'b1', 'bob', null],
  ])('asks %s', async (_, source, username, expected) => {
    const chain = new AuthChain([backend('b0', 'ok'), backend('b1', 'ok')], hasher);
    const user: UserRecord = {
      id: 1,
      username,
      passwordHash: null,
      source: source as UserRecord['source'],
      admin: false,
      disabled: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    expect((await chain.refresh(user))?.groups[0] ?? null).toBe(expected);
  });
});
