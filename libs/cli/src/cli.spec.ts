import { EXIT_FAILURE, EXIT_NOT_DONE, EXIT_OK, EXIT_USAGE, runCli } from './cli';
import { type CommandGroup, type Io } from './command';
import { NotDoneError, UsageError } from './errors';

const ran: string[] = [];
const tool: CommandGroup = {
  kind: 'group',
  name: 'tool',
  summary: 'A test tool.',
  children: [
    {
      kind: 'group',
      name: 'area',
      summary: 'An area.',
      children: [
        {
          kind: 'command',
          name: 'echo',
          summary: 'Echoes its input.',
          usage: '--text <t> [--shout]',
          options: {
            text: { type: 'string', required: true, value: 't', description: 'what to echo' },
            shout: { type: 'boolean', description: 'upper-case it' },
          },
          details: 'More words.',
          run(options, io) {
            const text = options.required('text');
            if (text === 'bad') throw new UsageError('text cannot be "bad"\neven on two lines');
            if (text === 'bug') throw new TypeError('undefined is not a function');
            if (text === 'late') {
              io.stdout('the usual output\n');
              throw new NotDoneError('the run failed:\nits reason');
            }
            ran.push(text);
            io.stdout(`${options.flag('shout') ? text.toUpperCase() : text}\n`);
          },
        },
        {
          kind: 'command',
          name: 'join',
          summary: 'Joins words with a separator.',
          usage: '[--with <s>]',
          positionals: [
            { name: 'first', required: true, description: 'the first word' },
            { name: 'word', variadic: true, description: 'more words' },
          ],
          options: { with: { type: 'string', value: 's', description: 'the separator' } },
          run(options, io) {
            io.stdout(`${[options.positional('first'), ...options.positionals('word')].join(options.string('with') ?? ' ')}\n`);
          },
        },
      ],
    },
  ],
};

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t) };
  const code = await runCli(tool, argv, io);
  return { code, out, err };
}

describe('runCli', () => {
  it('exits 3 after the usual output, with one line saying why, when what was asked did not happen', async () => {
    expect(await run('area', 'echo', '--text', 'late')).toEqual({
      code: EXIT_NOT_DONE,
      out: 'the usual output\n',
      err: 'tool: area echo: the run failed: its reason\n',
    });
  });

  it('runs the command a path names', async () => {
    expect(await run('area', 'echo', '--text', 'hi', '--shout')).toEqual({ code: EXIT_OK, out: 'HI\n', err: '' });
  });

  it('passes positionals to the command, in order and around options', async () => {
    expect(await run('area', 'join', 'a', '--with', '-', 'b', 'c')).toEqual({ code: EXIT_OK, out: 'a-b-c\n', err: '' });
    expect(await run('area', 'join', 'a')).toEqual({ code: EXIT_OK, out: 'a\n', err: '' });
  });

  it('shows positionals in the usage line, an Arguments section and the group list', async () => {
    const help = await run('area', 'join', '--help');
    expect(help.out).toContain('Usage: tool area join <first> [<word>…] [--with <s>]');
    expect(help.out).toMatch(/Arguments:\n {2}<first>\s+the first word\n {2}\[<word>…\]\s+more words\n\nOptions:/);
    expect((await run('area', '--help')).out).toMatch(/join <first> \[<word>…\]\s+Joins words/);
    expect((await run('area', 'echo', '--help')).out).not.toContain('Arguments:');
  });

  it('prints help at every level, without running anything', async () => {
    ran.length = 0;
    const top = await run('--help');
    expect(top.code).toBe(EXIT_OK);
    expect(top.out).toContain('Usage: tool <command> [options]');
    expect(top.out).toMatch(/area\s+An area\./);
    const group = await run('area', '-h');
    expect(group.out).toMatch(/echo\s+Echoes its input\./);
    const leaf = await run('area', 'echo', '--text', 'hi', '--help');
    expect(leaf.out).toContain('Usage: tool area echo --text <t> [--shout]');
    expect(leaf.out).toMatch(/--text <t>\s+what to echo \(required\)/);
    expect(leaf.out).toMatch(/-h, --help\s+show this help/);
    expect(leaf.out).toContain('More words.');
    expect(ran).toEqual([]);
  });

  it('reports usage errors in one line with exit code 2', async () => {
    const cases: [string[], string][] = [
      [[], "tool: missing command (area); see 'tool --help'\n"],
      [['nope'], 'tool: unknown command "nope" (commands: area); see \'tool --help\'\n'],
      [['area'], "tool: area: missing command (echo, join); see 'tool area --help'\n"],
      [['area', 'echo'], 'tool: area echo: missing --text <t>\n'],
      [['area', 'echo', '--text', 'bad'], 'tool: area echo: text cannot be "bad" even on two lines\n'],
      [['area', 'echo', '--text', 'x', 'extra'], 'tool: area echo: unexpected argument "extra"\n'],
      [['area', 'join', '--with', ','], 'tool: area join: missing <first>\n'],
    ];
    for (const [argv, err] of cases) expect(await run(...argv)).toEqual({ code: EXIT_USAGE, out: '', err });
  });

  it('reports unexpected failures with their stack and exit code 1', async () => {
    const r = await run('area', 'echo', '--text', 'bug');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toMatch(/^tool: area echo: unexpected error: TypeError: undefined is not a function\n\s+at /);
  });

  it('takes --help after "--" as a value, not a request for help', async () => {
    expect((await run('area', 'echo', '--text', 'x', '--', '--help')).code).toBe(EXIT_USAGE);
  });
});
