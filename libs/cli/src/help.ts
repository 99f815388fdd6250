import { type OptionSpec, type PositionalSpec } from './args';
import { type Command, type CommandGroup } from './command';

const HELP: OptionSpec = { type: 'boolean', description: 'show this help' };

export function groupHelp(group: CommandGroup, path: readonly string[]): string {
  const name = path.join(' ');
  return [
    `Usage: ${name} <command> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    // A command's positionals go with its name, so the group's list already shows how to call it.
    ...columns(
      group.children.map((c) => [
        [c.name, ...(c.kind === 'command' ? (c.positionals ?? []).map(positionalUsage) : [])].join(' '),
        c.summary,
      ]),
    ),
    '',
    `Run '${name} <command> --help' for a command's arguments and options.`,
    '',
  ].join('\n');
}

/** How a positional reads in usage: `<model>`, `[<alias>]`, `<run>…`, `[<key>…]`. */
export function positionalUsage(spec: PositionalSpec): string {
  const value = `<${spec.name}>${spec.variadic ? '…' : ''}`;
  return spec.required ? value : `[${value}]`;
}

export function commandHelp(command: Command, path: readonly string[]): string {
  const positionals = command.positionals ?? [];
  const usage = [...path, ...positionals.map(positionalUsage), command.usage].filter(Boolean).join(' ');
  const args =
    positionals.length === 0
      ? []
      : ['Arguments:', ...columns(positionals.map((p): [string, string] => [positionalUsage(p), p.description])), ''];
  const options = Object.entries({ ...command.options, help: HELP }).map(([name, spec]): [string, string] => {
    const flag = `${name === 'help' ? '-h, ' : spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`;
    const notes = [spec.required ? 'required' : '', spec.multiple ? 'repeatable' : ''].filter(Boolean).join(', ');
    return [flag, notes ? `${spec.description} (${notes})` : spec.description];
  });
  return [
    `Usage: ${usage}`,
    '',
    command.summary,
    '',
    ...args,
    'Options:',
    ...columns(options),
    ...(command.details ? ['', command.details] : []),
    '',
  ].join('\n');
}

/** Two aligned columns, the second wrapped under itself. */
function columns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.flatMap(([a, b]) => wrap(b, 96 - width - 4).map((line, i) => `  ${(i === 0 ? a : '').padEnd(width)}  ${line}`.trimEnd()));
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines;
}
