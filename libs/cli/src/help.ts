import { type OptionSpec } from './args';
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
    ...columns(group.children.map((c) => [c.name, c.summary])),
    '',
    `Run '${name} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

export function commandHelp(command: Command, path: readonly string[]): string {
  const options = Object.entries({ ...command.options, help: HELP }).map(([name, spec]): [string, string] => {
    const flag = `${name === 'help' ? '-h, ' : ''}--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`;
    const notes = [spec.required ? 'required' : '', spec.multiple ? 'repeatable' : ''].filter(Boolean).join(', ');
    return [flag, notes ? `${spec.description} (${notes})` : spec.description];
  });
  return [`Usage: ${path.join(' ')} ${command.usage}`, '', command.summary, '', 'Options:', ...columns(options), ...(command.details ? ['', command.details] : []), ''].join('\n');
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
