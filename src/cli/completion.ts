import type { Command } from 'commander';
import { done } from './output.js';

interface Node {
  /** Space-separated command path, '' for the program itself. */
  path: string;
  commands: { name: string; description: string }[];
  options: { flag: string; description: string }[];
}

/** Every command of the tree, with its subcommands and options, as the help shows them. */
function walk(program: Command): { nodes: Node[]; valued: string[] } {
  const nodes: Node[] = [];
  const valued = new Set<string>();
  const visit = (cmd: Command, path: string) => {
    const options = cmd.options.filter((o) => !o.hidden);
    for (const o of options) if (o.required || o.optional) for (const f of [o.long, o.short]) if (f) valued.add(f);
    nodes.push({
      path,
      commands: cmd.commands.map((c) => ({ name: c.name(), description: c.description() })),
      options: [
        ...options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f).map((flag) => ({ flag, description: o.description }))),
        { flag: '--help', description: 'show help for a command' },
      ],
    });
    for (const sub of cmd.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return { nodes, valued: [...valued].sort() };
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * bash: the command path is the words typed so far that name a subcommand (options and their
 * values skipped); what completes is that command's subcommands, or its options after a dash,
 * or file names after an option that takes a value.
 */
export function bashCompletion(program: Command): string {
  const { nodes, valued } = walk(program);
  const globals = nodes[0]?.options.map((o) => o.flag) ?? [];
  const cases = nodes
    .map((n) => `    ${shq(n.path)}) commands=${shq(n.commands.map((c) => c.name).join(' '))}; options=${shq(n.options.map((o) => o.flag).join(' '))} ;;`)
    .join('\n');
  return `# bash completion for portcullis, generated from its commands by \`portcullis completion bash\`
# Install: portcullis completion bash > /etc/bash_completion.d/portcullis  (or source it from ~/.bashrc)
_portcullis_node() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}

_portcullis() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmdpath="" word i commands options
  case " ${valued.join(' ')} " in
    *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    case "$word" in
      -*) case " ${valued.join(' ')} " in *" $word "*) ((i++)) ;; esac; continue ;;
    esac
    _portcullis_node "$cmdpath" || break
    case " $commands " in *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word" ;; esac
  done
  _portcullis_node "$cmdpath" || return 0
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options\${cmdpath:+ ${globals.join(' ')}}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  fi
}
complete -F _portcullis portcullis
`;
}

/** zsh: the same walk, with each command's and option's description beside it. */
export function zshCompletion(program: Command): string {
  const { nodes, valued } = walk(program);
  const globals = (nodes[0]?.options ?? []).map((o) => ({ name: o.flag, description: o.description }));
  const pairs = (items: { name: string; description: string }[]) => items.map((i) => shq(`${i.name.replace(/:/g, '\\:')}:${i.description}`)).join(' ');
  const cases = nodes
    .map(
      (n) => `    ${shq(n.path)}) commands=(${pairs(n.commands)}); options=(${pairs(n.options.map((o) => ({ name: o.flag, description: o.description })))}) ;;`,
    )
    .join('\n');
  return `#compdef portcullis
# zsh completion for portcullis, generated from its commands by \`portcullis completion zsh\`
# Install: portcullis completion zsh > "\${fpath[1]}/_portcullis"  (then restart zsh)
_portcullis_node() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}

_portcullis() {
  local -a commands options valued globals
  globals=(${pairs(globals)})
  local cmdpath="" word i
  valued=(${valued.join(' ')})
  if (( \${valued[(Ie)\${words[CURRENT-1]}]} )); then _files; return; fi
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if [[ $word == -* ]]; then (( \${valued[(Ie)$word]} )) && ((i++)); continue; fi
    _portcullis_node "$cmdpath" || break
    local -a names=(\${commands%%:*})
    (( \${names[(Ie)$word]} )) && cmdpath="\${cmdpath:+$cmdpath }$word"
  done
  _portcullis_node "$cmdpath" || return 1
  if [[ $PREFIX == -* ]]; then _describe -t options option options -- globals; else _describe -t commands command commands; fi
}

if [[ $zsh_eval_context[-1] == loadautoload ]]; then _portcullis "$@"; else compdef _portcullis portcullis; fi
`;
}

export function addCompletionCommand(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a completion script for bash or zsh, generated from these commands (see the install line at its top)')
    .action((shell: string) => {
      const scripts: Record<string, (p: Command) => string> = { bash: bashCompletion, zsh: zshCompletion };
      const make = scripts[shell];
      if (!make) throw new Error(`no completion for shell "${shell}"; choose one of: ${Object.keys(scripts).join(', ')}`);
      const script = make(program);
      done(script.trimEnd(), { shell, script });
    });
}
