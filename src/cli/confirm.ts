import { CliError, isJson } from './output.js';
import { terminal } from './prompt.js';

export const YES_HELP = 'do not ask for confirmation (required without a terminal)';

/**
 * Asks before something that cannot be undone. `consequences` (what it does beyond the obvious:
 * it logs you out, it breaks pulls of unprefixed names) are said first, whatever the answer.
 * With --yes it goes ahead; on a terminal it asks; otherwise it refuses and says how to proceed.
 */
export async function confirmOrRefuse(action: string, opts: { yes?: boolean }, consequences: string[] = []): Promise<void> {
  const t = terminal();
  // With --json and no one to read it, stderr keeps to the one error document (which lists them).
  if (!isJson() || t.available) for (const c of consequences) process.stderr.write(`portcullis: ${c}\n`);
  if (opts.yes) return;
  if (!t.available) {
    throw new CliError(`refusing to ${action} without confirmation: there is no terminal to ask on; pass --yes`, consequences.length ? { consequences } : {});
  }
  if (!(await t.confirm(`${action[0]?.toUpperCase()}${action.slice(1)}?`))) throw new Error(`not confirmed; did not ${action}`);
}
