import { createInterface, type Interface } from 'node:readline';

/** Reads a password from stdin (`--password-stdin`), trimming one trailing newline. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export interface TerminalIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Questions go here (stderr), so stdout stays the command's output. */
  output: NodeJS.WritableStream;
}

/**
 * The user at the keyboard, for the whole run: one readline, so an answer typed ahead of its
 * question is queued rather than lost between two questions. Hidden questions are not echoed.
 */
export class Terminal {
  #rl: Interface | undefined;
  #muted = false;
  readonly #typed: string[] = [];
  #waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  #closed = false;

  constructor(private readonly io: TerminalIo = { input: process.stdin, output: process.stderr }) {}

  /** Whether there is someone to ask: stdin is a terminal. */
  get available(): boolean {
    return this.io.input.isTTY === true;
  }

  /** Each answer in turn, none echoed. */
  async hidden(...questions: [string, ...string[]]): Promise<string[]> {
    if (!this.available) throw new Error('no terminal to ask for a password: use --password-stdin');
    const answers: string[] = [];
    for (const q of questions) answers.push(await this.#ask(q, true));
    return answers;
  }

  /** A new password, asked twice; the two must match. */
  async newPassword(question: string): Promise<string> {
    const [first, again] = await this.hidden(question, 'Again: ');
    if (first !== again) throw new Error('the two passwords differ; nothing changed');
    if (!first) throw new Error('empty password');
    return first;
  }

  /** A yes/no question, echoed; anything but y or yes is no. */
  async confirm(question: string): Promise<boolean> {
    if (!this.available) throw new Error('no terminal to ask for confirmation');
    return /^y(es)?$/i.test((await this.#ask(`${question} [y/N] `, false)).trim());
  }

  close(): void {
    this.#closed = true;
    this.#rl?.close();
    this.#rl = undefined;
  }

  async #ask(question: string, hidden: boolean): Promise<string> {
    this.#open();
    this.io.output.write(question);
    this.#muted = hidden;
    try {
      const typed = this.#typed.shift();
      if (typed !== undefined) return typed;
      return await new Promise<string>((resolve, reject) => {
        this.#waiting = { resolve, reject };
        if (this.#closed) reject(new Error('no answer: the terminal was closed'));
      });
    } finally {
      this.#muted = false;
      // readline's own echo of a hidden line was swallowed, the newline with it.
      if (hidden) this.io.output.write('\n');
    }
  }

  #open(): Interface {
    if (this.#rl) return this.#rl;
    this.#closed = false;
    const rl = createInterface({ input: this.io.input, output: this.io.output, terminal: true });
    // readline echoes every key typed through this; hidden answers must not appear.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => {
      if (!this.#muted) this.io.output.write(s);
    };
    rl.on('line', (line: string) => {
      const answer = this.#waiting;
      this.#waiting = undefined;
      if (answer) answer.resolve(line);
      else this.#typed.push(line);
    });
    rl.on('close', () => {
      this.#closed = true;
      this.#waiting?.reject(new Error('no answer: the terminal was closed'));
      this.#waiting = undefined;
    });
    this.#rl = rl;
    return rl;
  }
}

let shared: Terminal | undefined;

/** The process's terminal (stdin, questions on stderr); main closes it when the command ends. */
export function terminal(): Terminal {
  shared ??= new Terminal();
  return shared;
}

export function closeTerminal(): void {
  shared?.close();
  shared = undefined;
}

/** Asks each question on the terminal in turn without echoing what is typed. */
export function promptHidden(...questions: [string, ...string[]]): Promise<string[]> {
  return terminal().hidden(...questions);
}

/** A password from stdin, or asked on the terminal: twice when `twice` (a new password). */
export async function readPassword(fromStdin: boolean, question = 'Password: ', twice = false): Promise<string> {
  if (fromStdin) {
    const password = await readStdin();
    if (password === '') throw new Error('empty password');
    return password;
  }
  if (twice) return terminal().newPassword(question);
  const [password] = await terminal().hidden(question);
  if (!password) throw new Error('empty password');
  return password;
}
