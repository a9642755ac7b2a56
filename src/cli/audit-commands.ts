import type { Command } from 'commander';
import { client, print } from './admin-commands.js';

interface Entry {
  id: string;
  at: string;
  kind: 'token' | 'change' | 'registry';
  subject: string | null;
  outcome: string;
  address: string | null;
  repositories: string[];
  detail: Record<string, unknown>;
}
interface Page {
  entries: Entry[];
  next: string | null;
  follow: string;
}

interface LsOptions {
  from?: string;
  to?: string;
  subject?: string;
  repository?: string;
  project?: string;
  outcome?: string;
  kind?: string;
  limit: string;
  follow?: boolean;
  interval: string;
}

const FILTERS = ['from', 'to', 'subject', 'repository', 'project', 'outcome', 'kind'] as const;

/** What happened, in one line, per kind. */
function what(e: Entry): string {
  const d = e.detail;
  if (e.kind === 'token') return ((d.requested as string[] | undefined) ?? []).join(' ') || '(login)';
  if (e.kind === 'change') return `${d.action} ${Object.values((d.target as Record<string, string>) ?? {}).join(' ')}`.trim();
  const ref = `${e.repositories[0] ?? ''}${d.tag ? `:${d.tag}` : ''}`;
  return d.digest ? `${ref}@${d.digest}` : ref;
}

/** Why, where there is something to say: the reason of each action not granted, a change's status. */
function why(e: Entry): string {
  const d = e.detail;
  if (e.kind === 'token') {
    if (d.reason) return String(d.reason);
    return ((d.denied as { action: string; reason: string }[] | undefined) ?? []).map((x) => `${x.action}: ${x.reason}`).join(', ');
  }
  if (e.kind === 'change') return String(d.status ?? '');
  return d.source ? `from registry ${d.source}` : '';
}

const row = (e: Entry) => ({
  time: e.at,
  kind: e.kind,
  subject: e.subject ?? '(anonymous)',
  outcome: e.outcome,
  address: e.address ?? '',
  what: what(e),
  why: why(e),
});
const COLUMNS = ['time', 'kind', 'subject', 'outcome', 'address', 'what', 'why'];

export function addAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit trail: token requests, admin changes, registry events');
  const ls = audit
    .command('ls')
    .description('list audit entries, newest first (oldest first with --follow); system admins see all, project admins their projects')
    .option('--from <time>', 'entries at or after this time (ISO 8601)')
    .option('--to <time>', 'entries before this time (ISO 8601)')
    .option('--subject <name>', 'the account: token subject, admin who made a change, registry actor')
    .option('--repository <name>', 'a repository, e.g. team/app')
    .option('--project <name>', 'every repository of a project')
    .option('--outcome <outcome>', 'granted, partial, denied, unauthorized, throttled, error; ok; push, pull, delete, mount')
    .option('--kind <kind>', 'token, change or registry')
    .option('--limit <n>', 'entries to show (1 to 500)', '50')
    .option('--follow', 'keep printing new entries as they are written (Ctrl-C ends)')
    .option('--interval <ms>', 'with --follow: how often to ask', '2000');
  ls.action(async (o: LsOptions, cmd: Command) => {
    const api = client(cmd);
    const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
    const query = new URLSearchParams({ limit: o.limit });
    for (const f of FILTERS) if (o[f] !== undefined) query.set(f, o[f] as string);
    const page = await api.call<Page>('GET', `/audit?${query}`);
    if (!o.follow) {
      if (json) process.stdout.write(`${JSON.stringify(page.entries, null, 2)}\n`);
      else print(cmd, page.entries.map(row), COLUMNS);
      return;
    }
    // Following: oldest first, one JSON object or one table line per entry as it arrives.
    const emit = (entries: Entry[], header: boolean) => {
      if (json) for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
      else if (entries.length > 0 || header) printRows(entries.map(row), header);
    };
    emit([...page.entries].reverse(), true);
    let cursor = page.follow;
    for (;;) {
      await new Promise((r) => setTimeout(r, Number(o.interval)));
      query.set('limit', '500');
      query.set('cursor', cursor);
      const next = await api.call<Page>('GET', `/audit?${query}`);
      emit(next.entries, false);
      cursor = next.next ?? cursor;
    }
  });

  program
    .command('explain <account> <scope...>')
    .description("what a token would grant ACCOUNT (a user or robot; '-' for anonymous) for each scope, and the rule that decides each action")
    .action(async (account: string, scopes: string[], _o: unknown, cmd: Command) => {
      const query = new URLSearchParams();
      if (account !== '-') query.set('account', account);
      for (const s of scopes) query.append('scope', s);
      const e = await client(cmd).call<{
        loginRefused?: string;
        granted: string[];
        actions: { resource: string; action: string; granted: boolean; explanation: string }[];
      }>('GET', `/explain?${query}`);
      if (cmd.optsWithGlobals<{ json?: boolean }>().json) {
        process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
        return;
      }
      if (e.loginRefused) process.stdout.write(`note: a login of ${account} is refused now (${e.loginRefused}); below is what it would get otherwise\n`);
      print(
        cmd,
        e.actions.map((a) => ({ resource: a.resource, action: a.action, granted: a.granted ? 'yes' : 'no', rule: a.explanation })),
        ['resource', 'action', 'granted', 'rule'],
      );
    });
}

/** Follow mode prints as rows arrive, so columns cannot be aligned to later rows: fixed widths. */
function printRows(rows: Record<string, unknown>[], header: boolean): void {
  const widths = [24, 8, 16, 12, 15, 0, 0];
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => (widths[i] ? c.padEnd(widths[i] as number) : c))
      .join('  ')
      .trimEnd()}\n`;
  if (header) process.stdout.write(line(COLUMNS.map((c) => c.toUpperCase())));
  for (const r of rows) process.stdout.write(line(COLUMNS.map((c) => String(r[c] ?? ''))));
}
