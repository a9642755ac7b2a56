import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Terminal } from '../../../src/cli/prompt.js';

/** A keyboard and a screen for the Terminal: input flagged as a TTY, output collected. */
function fakeTty(isTTY = true) {
  const input = Object.assign(new PassThrough(), { isTTY });
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => {
    screen += d.toString();
  });
  const term = new Terminal({ input, output });
  return { term, type: (text: string) => input.write(text), end: () => input.end(), screen: () => screen };
}

/** Types each answer only once its question is on the screen, as a person would. */
async function answer(tty: ReturnType<typeof fakeTty>, ...lines: string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    while ((tty.screen().match(/: |\] /g) ?? []).length <= i) await new Promise((r) => setTimeout(r, 5));
    tty.type(`${line}\r`);
  }
}

describe('the terminal prompts', () => {
  const open: Terminal[] = [];
  const tty = (isTTY = true) => {
    const t = fakeTty(isTTY);
    open.push(t.term);
    return t;
  };
  afterEach(() => {
    for (const t of open.splice(0)) t.close();
  });

  it('asks for a password without echoing what is typed', async () => {
    const t = tty();
    const [password] = await Promise.all([t.term.hidden('Password of admin: ').then((a) => a[0]), answer(t, 'sekret-typed-1')]);
    expect(password).toBe('sekret-typed-1');
    expect(t.screen()).toContain('Password of admin: ');
    expect(t.screen()).not.toContain('sekret');
  });

  it('asks for a new password twice and refuses two that differ', async () => {
    const same = tty();
    const [ok] = await Promise.all([same.term.newPassword('New password: '), answer(same, 'new-pass-1', 'new-pass-1')]);
    expect(ok).toBe('new-pass-1');
    expect(same.screen()).toMatch(/New password: \n?Again: /);
    expect(same.screen()).not.toContain('new-pass');

    const differ = tty();
    await Promise.all([
      expect(differ.term.newPassword('New password: ')).rejects.toThrow('the two passwords differ; nothing changed'),
      answer(differ, 'new-pass-1', 'new-pass-2'),
    ]);
  });

  it('keeps an answer typed ahead of its question', async () => {
    const t = tty();
    t.type('first-answer\rsecond-answer\r');
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.term.hidden('One: ', 'Two: ')).toEqual(['first-answer', 'second-answer']);
  });

  it('confirms only on y or yes, and echoes the answer', async () => {
    for (const [typed, expected] of [
      ['y', true],
      ['YES', true],
      ['n', false],
      ['', false],
      ['sure', false],
    ] as const) {
      const t = tty();
      const [confirmed] = await Promise.all([t.term.confirm('Remove user carol?'), answer(t, typed)]);
      expect(confirmed, typed).toBe(expected);
      expect(t.screen()).toContain('Remove user carol? [y/N] ');
      if (typed) expect(t.screen()).toContain(typed);
    }
  });

  it('says when there is no terminal to ask on, and when it closes unanswered', async () => {
    const none = tty(false);
    expect(none.term.available).toBe(false);
    await expect(none.term.hidden('Password: ')).rejects.toThrow('no terminal to ask for a password: use --password-stdin');
    await expect(none.term.confirm('Remove?')).rejects.toThrow('no terminal to ask for confirmation');

    const closed = tty();
    const asked = closed.term.hidden('Password: ');
    closed.end();
    await expect(asked).rejects.toThrow('no answer: the terminal was closed');
  });
});
