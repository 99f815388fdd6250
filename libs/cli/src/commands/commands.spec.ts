import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOptions } from '../args';
import { type Command, type CommandGroup } from '../command';
import { UsageError } from '../errors';
import { positionalUsage } from '../help';
import { flywheel } from '.';

function leaves(group: CommandGroup, path: readonly string[]): Array<{ path: string[]; command: Command }> {
  return group.children.flatMap((c) => (c.kind === 'group' ? leaves(c, [...path, c.name]) : [{ path: [...path, c.name], command: c }]));
}

const commands = leaves(flywheel, ['flywheel']);

/** How the README's table writes a command: its path and positionals, `flywheel models promote <model> <version>`. */
const callForm = ({ path, command }: (typeof commands)[number]) => [...path, ...(command.positionals ?? []).map(positionalUsage)].join(' ');

describe('the flywheel command tree', () => {
  it.each(commands.map((c) => [c.path.join(' '), c] as const))('%s declares positionals the parser accepts', (_, { command }) => {
    try {
      parseOptions(command.options, [], command.positionals);
    } catch (e) {
      // Missing values are the call's fault; anything else is a bad declaration.
      expect(e).toBeInstanceOf(UsageError);
    }
  });

  it('never offers a value both by position and as an option', () => {
    const both = commands.flatMap(({ path, command }) =>
      (command.positionals ?? []).filter((p) => Object.hasOwn(command.options, p.name)).map((p) => `${path.join(' ')} ${p.name}`),
    );
    expect(both).toEqual([]);
  });

  it('has every command in the README table', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    const missing = commands.map(callForm).filter((form) => !readme.includes(`| \`${form}\``));
    expect(missing).toEqual([]);
  });
});
