import { runCli } from '../../cli';
import { type CommandGroup } from '../../command';
import { deploymentsGroup } from '../deployments';
import { parseFeatures, predictCommand } from './predict.command';

const root: CommandGroup = { kind: 'group', name: 'flywheel', summary: '', children: [deploymentsGroup, predictCommand] };

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const saved = process.env.FLYWHEEL_TOKEN;
  process.env.FLYWHEEL_TOKEN = env.FLYWHEEL_TOKEN;
  if (env.FLYWHEEL_TOKEN === undefined) delete process.env.FLYWHEEL_TOKEN;
  let stdout = '';
  let stderr = '';
  try {
    const code = await runCli(root, argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  } finally {
    if (saved === undefined) delete process.env.FLYWHEEL_TOKEN;
    else process.env.FLYWHEEL_TOKEN = saved;
  }
}

describe('flywheel predict and deployments', () => {
  it('types --features values: numbers, booleans, null and text', () => {
    expect(parseFeatures('amount=82.5, region=north,new=true,age=null,zip=02139')).toEqual({
      values: {
        amount: { numberValue: 82.5 },
        region: { stringValue: 'north' },
        new: { boolValue: true },
        age: {},
        zip: { numberValue: 2139 },
      },
    });
    expect(() => parseFeatures('amount')).toThrow('--features expects name=value,… got "amount"');
    expect(() => parseFeatures('a=1,a=2')).toThrow('--features sets "a" twice');
  });

  it('wants exactly one of --features and --entity, and a token, before calling anyone', async () => {
    const both = await run(['predict', 'fraud', '--features', 'a=1', '--entity', 'c-1'], { FLYWHEEL_TOKEN: 'fw_x' });
    expect(both).toMatchObject({ code: 2, stderr: 'flywheel: predict: give either --features or --entity\n' });
    const noToken = await run(['deployments', 'status', 'fraud']);
    expect(noToken).toMatchObject({ code: 2, stderr: 'flywheel: deployments status: set FLYWHEEL_TOKEN to your API token\n' });
  });

  it('documents every deployments command', async () => {
    const help = await run(['deployments', '--help']);
    expect(help.code).toBe(0);
    for (const name of ['list', 'status', 'rollback']) expect(help.stdout).toContain(name);
  });
});
