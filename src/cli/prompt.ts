import { createInterface } from 'node:readline';

/** Reads a password from stdin (`--password-stdin`), trimming one trailing newline. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for a password: use --password-stdin');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const rlo = rl as unknown as { _writeToOutput: (s: string) => void };
  let asked = false;
  rlo._writeToOutput = (s: string) => {
    if (!asked) {
      process.stderr.write(s);
      asked = true;
    }
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    process.stderr.write('\n');
    rl.close();
  }
}

export async function readPassword(fromStdin: boolean, question = 'Password: '): Promise<string> {
  const password = fromStdin ? await readStdin() : await promptHidden(question);
  if (password === '') throw new Error('empty password');
  return password;
}
