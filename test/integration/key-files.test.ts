import { access, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../harness/proc.js';
import { useTempDir } from '../helpers/temp.js';

// The built CLI (npm test builds dist/ first), as an operator runs it.
const BIN = resolve(import.meta.dirname, '../../bin/portcullis.js');

describe('the signing key files', () => {
  const tmp = useTempDir('key-files');
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [BIN, ...args], { cwd: tmp().path, env: { PATH: process.env.PATH, ...env }, timeoutMs: 30_000 });

  it('keys generate --force keeps the files it replaces', async () => {
    const dir = join(tmp().path, 'forced');
    expect((await cli(['keys', 'generate', '--dir', dir])).code).toBe(0);
    const [key, cert] = await Promise.all([readFile(join(dir, 'token.key'), 'utf8'), readFile(join(dir, 'token.crt'), 'utf8')]);
    const res = await cli(['keys', 'generate', '--dir', dir, '--force']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/kept the replaced .*token\.key as .*token\.key\.replaced-/);
    const files = await readdir(dir);
    const keptKey = files.find((f) => f.startsWith('token.key.replaced-'));
    const keptCert = files.find((f) => f.startsWith('token.crt.replaced-'));
    expect(await readFile(join(dir, keptKey ?? 'missing'), 'utf8')).toBe(key);
    expect(await readFile(join(dir, keptCert ?? 'missing'), 'utf8')).toBe(cert);
    expect(await readFile(join(dir, 'token.key'), 'utf8')).not.toBe(key);
  });

  it.each([
    ['a certificate without its key', 'token.key', /token\.crt has no private key beside it/],
    ['a key without its certificate', 'token.crt', /token\.key has no certificate beside it/],
  ])('serve refuses %s instead of generating a new pair', async (_, remove, message) => {
    const keysDir = join(tmp().path, `half-${remove}`);
    expect((await cli(['keys', 'generate', '--dir', keysDir])).code).toBe(0);
    await rm(join(keysDir, remove));
    const before = await readdir(keysDir);
    const res = await cli(['serve'], {
      PORTCULLIS_KEYS_DIR: keysDir,
      PORTCULLIS_DATA_DIR: join(tmp().path, `data-${remove}`),
      PORTCULLIS_LISTEN: '127.0.0.1:0',
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(message);
    expect(await readdir(keysDir)).toEqual(before);
    // keys generate without --force says the same; with --force it may replace the lone file.
    expect((await cli(['keys', 'generate', '--dir', keysDir])).stderr).toMatch(message);
  });

  it('keys retire asks on a terminal, and changes nothing unless the answer is yes', async () => {
    const dir = join(tmp().path, 'retire-on-terminal');
    const env = { PORTCULLIS_KEYS_DIR: dir };
    expect((await cli(['keys', 'generate', '--dir', dir])).code).toBe(0);
    expect((await cli(['keys', 'rotate'], env)).stdout).toMatch(/^created the next key [A-Z2-7:]+; restart the registry on .*bundle\.pem/);
    expect((await cli(['keys', 'promote'], env)).stdout).toMatch(/^now signing with /);
    const command = [process.execPath, BIN, 'keys', 'retire', '--force'].map((a) => `'${a}'`).join(' ');
    const onTerminal = (answer: string) =>
      run('script', ['-qec', command, '/dev/null'], { cwd: tmp().path, env: { PATH: process.env.PATH, ...env }, input: answer, timeoutMs: 30_000 });
    const declined = await onTerminal('n\n');
    expect(declined.code).not.toBe(0);
    expect(declined.stdout).toMatch(/refuses the tokens that key signed.*Stop publishing [A-Z2-7:]+\? \[y\/N\].*not confirmed; did not stop publishing/s);
    await access(join(dir, 'previous.crt'));
    const accepted = await onTerminal('y\n');
    expect(accepted.code, accepted.stdout).toBe(0);
    expect(accepted.stdout).toMatch(/retired [A-Z2-7:]+; restart the registry/);
    expect((await readdir(dir)).filter((f) => f.startsWith('previous.'))).toEqual([]);
  });
});
