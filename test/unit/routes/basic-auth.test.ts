import { describe, expect, it } from 'vitest';
import { parseBasicAuth } from '../../../src/routes/basic-auth.js';
import { codeOf } from '../../helpers/errors.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

const codeOfHeader = (header: string) => codeOf(() => parseBasicAuth(header));

describe('parseBasicAuth', () => {
  it.each([undefined, ''])('%j -> anonymous (undefined)', (header) => {
    expect(parseBasicAuth(header)).toBeUndefined();
  });

  it.each<[string, string, string, string]>([
    ['plain', `Basic ${b64('alice:secret')}`, 'alice', 'secret'],
    ['scheme case-insensitive', `basic ${b64('alice:secret')}`, 'alice', 'secret'],
    ['colon in the password', `Basic ${b64('alice:a:b:c')}`, 'alice', 'a:b:c'],
    ['empty password (docker with an identity token)', `Basic ${b64('alice:')}`, 'alice', ''],
    ['empty username', `Basic ${b64(':secret')}`, '', 'secret'],
    ['UTF-8', `Basic ${b64('jürgen:pässwörd✓')}`, 'jürgen', 'pässwörd✓'],
    ['unpadded base64', `Basic ${b64('alice:secre').replace(/=+$/, '')}`, 'alice', 'secre'],
    ['extra spaces', `Basic   ${b64('alice:secret')}  `, 'alice', 'secret'],
  ])('%s', (_, header, username, password) => {
    const creds = parseBasicAuth(header);
    expect(creds?.username).toBe(username);
    expect(creds?.password.reveal()).toBe(password);
  });

  it('wraps the password so it prints as ***', () => {
    expect(String(parseBasicAuth(`Basic ${b64('alice:secret')}`)?.password)).toBe('***');
  });

  it.each([
    ['bad base64', 'Basic !!!notbase64'],
    ['base64 with a space inside', 'Basic YWxp Y2U6cHc='],
    ['impossible length', 'Basic YWxpY'],
    ['no credentials', 'Basic '],
    ['scheme only', 'Basic'],
    ['non-UTF-8', `Basic ${b64(Buffer.from([0x61, 0x3a, 0xff, 0xfe]))}`],
    ['no colon', `Basic ${b64('alice')}`],
    ['wrong scheme', 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig'],
    ['Digest', 'Digest username="alice"'],
    ['oversized', `Basic ${b64(`alice:${'x'.repeat(7000)}`)}`],
  ])('%s -> INVALID_REQUEST', (_, header) => {
    expect(codeOfHeader(header)).toBe('INVALID_REQUEST');
  });
});
