import { parseOptions } from '../../args';
import { runCli } from '../../cli';
import { type CommandGroup } from '../../command';
import { deploymentsGroup } from '.';
import { canaryPolicyOf, deployCommand, parseDurationSeconds } from './deployments.commands';

const root: CommandGroup = { kind: 'group', name: 'flywheel', summary: '', children: [deploymentsGroup] };

async function run(argv: string[]) {
  const saved = process.env.FLYWHEEL_TOKEN;
  process.env.FLYWHEEL_TOKEN = 'fw_test';
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

const parsed = (argv: string[]) => parseOptions(deployCommand.options ?? {}, argv, deployCommand.positionals);

describe('flywheel deployments deploy, pin and unpin', () => {
  it('sends only the canary options given, naming the fields they set', () => {
    expect(canaryPolicyOf(parsed(['claims']))).toEqual({ canaryPolicy: undefined, canaryPolicyFields: [] });
    expect(
      canaryPolicyOf(parsed(['claims', '--canary-share', '0.25', '--canary-min-requests', '500', '--canary-max-duration', '30m'])),
    ).toEqual({
      canaryPolicy: {
        trafficShare: 0.25,
        minRequests: 500,
        maxErrorRateIncrease: 0,
        maxLatencyRatio: 0,
        maxAccuracyDrop: 0,
        minLabelled: 0,
        maxDuration: { seconds: 1800, nanos: 0 },
      },
      canaryPolicyFields: ['traffic_share', 'min_requests', 'max_duration'],
    });
    expect(
      canaryPolicyOf(
        parsed([
          'claims',
          '--canary-max-error-rate-increase',
          '0',
          '--canary-max-latency-ratio',
          '2',
          '--canary-max-accuracy-drop',
          '0.03',
          '--canary-min-labelled',
          '80',
        ]),
      ),
    ).toMatchObject({
      canaryPolicy: { maxErrorRateIncrease: 0, maxLatencyRatio: 2, maxAccuracyDrop: 0.03, minLabelled: 80 },
      canaryPolicyFields: ['max_error_rate_increase', 'max_latency_ratio', 'max_accuracy_drop', 'min_labelled'],
    });
  });

  it('reads durations as seconds, minutes or hours', () => {
    expect(parseDurationSeconds('90', '--d')).toBe(90);
    expect(parseDurationSeconds('90s', '--d')).toBe(90);
    expect(parseDurationSeconds('2h', '--d')).toBe(7200);
    expect(() => parseDurationSeconds('0m', '--d')).toThrow('--d expects a positive duration such as 90s, 30m or 2h, got "0m"');
    expect(() => parseDurationSeconds('1.5h', '--d')).toThrow('--d expects a positive duration');
  });

  it('refuses bad options before calling the deployer', async () => {
    expect(await run(['deployments', 'deploy', 'claims', '--alias', 'production', '--version', '2'])).toMatchObject({
      code: 2,
      stderr: 'flywheel: deployments deploy: give either --alias or --version\n',
    });
    const share = await run(['deployments', 'deploy', 'claims', '--canary-share', '1.5']);
    expect(share.code).toBe(2);
    expect(share.stderr).toContain('--canary-share');
    const version = await run(['deployments', 'pin', 'claims', 'latest']);
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('<version>');
  });

  it('documents deploy, pin and unpin with their arguments', async () => {
    const group = await run(['deployments', '--help']);
    for (const name of ['deploy', 'pin', 'unpin']) expect(group.stdout).toContain(name);
    const deploy = await run(['deployments', 'deploy', '--help']);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain('Arguments');
    expect(deploy.stdout).toContain('<deployment>');
    for (const option of [
      '--model',
      '--alias',
      '--version',
      '--canary-share',
      '--canary-min-requests',
      '--canary-max-duration',
      '--json',
    ]) {
      expect(deploy.stdout).toContain(option);
    }
    const pin = await run(['deployments', 'pin', '--help']);
    expect(pin.stdout).toContain('<version>');
  });
});
