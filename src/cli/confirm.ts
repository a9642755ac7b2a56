import { createInterface } from 'node:readline/promises';

/**
 * A destructive step's consent: asked on a terminal, `--yes` otherwise (a script must say so
 * explicitly; a pipe is never taken for a yes).
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new Error('not on a terminal: pass --yes to confirm');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new Error('not confirmed; nothing changed');
  } finally {
    rl.close();
  }
}
