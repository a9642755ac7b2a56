import { createInterface } from 'node:readline';

/** Reads a password from stdin (`--password-stdin`), trimming one trailing newline. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Asks each question on the terminal in turn without echoing what is typed. The lines are
 * queued: readline emits a line typed ahead of its question at once, and it must not be lost.
 */
export async function promptHidden(...questions: [string, ...string[]]): Promise<string[]> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for a password: use --password-stdin');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // readline echoes every key typed through this; the questions are written around it.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const typed: string[] = [];
  let waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  rl.on('line', (line: string) => {
    const answer = waiting;
    waiting = undefined;
    if (answer) answer.resolve(line);
    else typed.push(line);
  });
  rl.on('close', () => waiting?.reject(new Error('no answer: the terminal was closed')));
  const answers: string[] = [];
  try {
    for (const question of questions) {
      process.stderr.write(question);
      answers.push(typed.shift() ?? (await new Promise<string>((resolve, reject) => (waiting = { resolve, reject }))));
      process.stderr.write('\n');
    }
    return answers;
  } finally {
    rl.close();
  }
}

export async function readPassword(fromStdin: boolean, question = 'Password: '): Promise<string> {
  const password = fromStdin ? await readStdin() : ((await promptHidden(question))[0] as string);
  if (password === '') throw new Error('empty password');
  return password;
}
