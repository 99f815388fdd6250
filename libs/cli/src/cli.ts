import { parseOptions } from './args';
import { type Command, type CommandGroup, type Io } from './command';
import { NotDoneError, UsageError } from './errors';
import { commandHelp, groupHelp } from './help';

export const EXIT_OK = 0;
/** An unexpected failure: a defect, or the environment (disk full, …). */
export const EXIT_FAILURE = 1;
/** Bad arguments, files or data: the user can fix the call. */
export const EXIT_USAGE = 2;
/** A sound call whose outcome was not what it asked for: a failed run, quarantined rows. */
export const EXIT_NOT_DONE = 3;

const isHelp = (arg: string): boolean => arg === '--help' || arg === '-h';

/**
 * Walks `argv` down the command tree and runs the command it names, returning the exit code.
 * Usage errors (exit 2) and outcomes that were not what was asked (exit 3) become one line on
 * stderr, `flywheel: <command>: <message>`; anything else is
 * reported with its stack, since it needs fixing in the code rather than the call.
 */
export async function runCli(root: CommandGroup, argv: readonly string[], io: Io): Promise<number> {
  const path = [root.name];
  try {
    let node: Command | CommandGroup = root;
    let i = 0;
    while (node.kind === 'group') {
      const group: CommandGroup = node;
      const arg = argv[i];
      const names = group.children.map((c) => c.name).join(', ');
      if (arg === undefined) throw new UsageError(`missing command (${names}); see '${path.join(' ')} --help'`);
      if (isHelp(arg)) {
        io.stdout(groupHelp(group, path));
        return EXIT_OK;
      }
      const child = group.children.find((c) => c.name === arg);
      if (!child)
        throw new UsageError(
          `${arg.startsWith('-') ? 'unknown option' : 'unknown command'} ${JSON.stringify(arg)} (commands: ${names}); see '${path.join(' ')} --help'`,
        );
      node = child;
      path.push(arg);
      i++;
    }
    const rest = argv.slice(i);
    const end = rest.indexOf('--');
    if ((end < 0 ? rest : rest.slice(0, end)).some(isHelp)) {
      io.stdout(commandHelp(node, path));
      return EXIT_OK;
    }
    await node.run(parseOptions(node.options, rest, node.positionals), io);
    return EXIT_OK;
  } catch (e) {
    const where = path.slice(1).join(' ');
    if (e instanceof UsageError) {
      io.stderr(`${root.name}: ${where ? `${where}: ` : ''}${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof NotDoneError) {
      io.stderr(`${root.name}: ${where ? `${where}: ` : ''}${oneLine(e.message)}\n`);
      return EXIT_NOT_DONE;
    }
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    io.stderr(`${root.name}: ${where ? `${where}: ` : ''}unexpected error: ${detail}\n`);
    return EXIT_FAILURE;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
