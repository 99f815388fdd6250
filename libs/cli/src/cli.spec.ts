import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from './cli';
import { type CommandGroup, type Io } from './command';
import { UsageError } from './errors';

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
          options: { text: { type: 'string', required: true, value: 't', description: 'what to echo' }, shout: { type: 'boolean', description: 'upper-case it' } },
          details: 'More words.',
          run(options, io) {
            const text = options.required('text');
            if (text === 'bad') throw new UsageError('text cannot be "bad"\neven on two lines');
            if (text === 'bug') throw new TypeError('undefined is not a function');
            ran.push(text);
            io.stdout(`${options.flag('shout') ? text.toUpperCase() : text}\n`);
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
  it('runs the command a path names', async () => {
    expect(await run('area', 'echo', '--text', 'hi', '--shout')).toEqual({ code: EXIT_OK, out: 'HI\n', err: '' });
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
      [[], 'tool: missing command (area); see \'tool --help\'\n'],
      [['nope'], 'tool: unknown command "nope" (commands: area); see \'tool --help\'\n'],
      [['area'], 'tool: area: missing command (echo); see \'tool area --help\'\n'],
      [['area', 'echo'], 'tool: area echo: missing --text <t>\n'],
      [['area', 'echo', '--text', 'bad'], 'tool: area echo: text cannot be "bad" even on two lines\n'],
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
