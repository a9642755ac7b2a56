import type { Command } from 'commander';

/**
 * What a command prints. With --json, stdout holds exactly one JSON document (the result) and a
 * failure writes exactly one, `{"error": "..."}`, to stderr, with a non-zero exit either way;
 * without it, results are text on stdout and errors `portcullis: ...` lines on stderr.
 */
let jsonMode = false;

/** Set from the parsed options before each action; main sets it from argv for parse errors. */
export function setJsonMode(on: boolean): void {
  jsonMode = on;
}

export const isJson = (): boolean => jsonMode;

const writeJson = (stream: NodeJS.WritableStream, value: unknown) => stream.write(`${JSON.stringify(value, null, 2)}\n`);

/** A result: `message` as text, or `data` (default `{message}`) as JSON. */
export function done(message: string, data?: object): void {
  if (jsonMode) writeJson(process.stdout, data ?? { message });
  else process.stdout.write(`${message}\n`);
}

/** A value that is JSON already (an API answer) in both modes. */
export function printJson(value: unknown): void {
  writeJson(process.stdout, value);
}

/** Rows as aligned columns, or as a JSON array with --json. */
export function print(_cmd: Command | undefined, rows: Record<string, unknown>[], columns: string[]): void {
  if (jsonMode) {
    writeJson(process.stdout, rows);
    return;
  }
  const table = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => columns.map((c) => String(r[c] ?? '')))];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd()}\n`,
    );
}

/**
 * Something the user should know before or after the result (a group the directory does not
 * know, what removing your own account does). Text on stderr; with --json the caller puts it in
 * the result instead, so stderr stays for the one error document.
 */
export function warn(message: string): void {
  if (!jsonMode) process.stderr.write(`portcullis: warning: ${message}\n`);
}

/**
 * A failure with more to say than its message: `details` join the JSON error document, `lines`
 * follow the message as text (the errors of an invalid configuration, what to do next).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly lines: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Reports a failed command on stderr in the mode's format. */
export function reportError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  if (jsonMode) writeJson(process.stderr, { error: message, ...(err instanceof CliError ? err.details : {}) });
  else process.stderr.write(`portcullis: ${[message, ...(err instanceof CliError ? err.lines : [])].join('\n  ')}\n`);
}
