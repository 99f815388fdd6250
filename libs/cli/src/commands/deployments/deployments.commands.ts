import { type deployerV1 } from '@flywheel/contracts';
import { type Command } from '../../command';
import { formatValue, table, toJson } from '../../output';
import { DEPLOYER_CONNECTION_DETAILS, deployerConnectionOptions, deploymentPositional, withDeployer } from './deployer-connection';

// Numeric enums of the contracts, named for people (the contracts module loads lazily).
const STATES: Record<number, string> = { 1: 'pending', 2: 'stable', 3: 'canary' };

function time(value: Date | string | null | undefined): string {
  if (!value) return '-';
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function version(v: number): string {
  return v > 0 ? `v${v}` : '-';
}

function share(d: deployerV1.Deployment): string {
  return d.canaryVersion > 0 ? `${formatValue(d.canaryTrafficShare * 100)}%` : '-';
}

export const listCommand: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List deployments: the model, the stable and canary versions, the canary share.',
  usage: '[--limit <n>] [--address <host:port>] [--json]',
  options: { limit: { type: 'string', value: 'n', description: 'at most n rows (default 50)' }, ...deployerConnectionOptions },
  details: DEPLOYER_CONNECTION_DETAILS,
  async run(options, io) {
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
    const response = await withDeployer(options, (client) => client.listDeployments({ page: { pageSize, pageToken: '' } }));
    if (options.flag('json')) return io.stdout(toJson(response.deployments));
    io.stdout(
      `${table(
        ['deployment', 'model', 'follows', 'state', 'stable', 'canary', 'canary share', 'updated'],
        response.deployments.map((d) => [
          d.name,
          d.modelName,
          d.alias || '(pinned)',
          STATES[d.state] ?? 'unknown',
          version(d.stableVersion),
          version(d.canaryVersion),
          share(d),
          time(d.updateTime),
        ]),
      )}\n`,
    );
  },
};

function statsRow(role: string, s: deployerV1.VersionStats): (string | number)[] {
  const quality = s.accuracy != null ? `accuracy ${formatValue(s.accuracy)}` : s.rmse != null ? `rmse ${formatValue(s.rmse)}` : '-';
  return [
    role,
    version(s.version),
    s.requests,
    s.errors,
    formatValue(s.errorRate),
    formatValue(s.latencyP50Ms),
    formatValue(s.latencyP95Ms),
    formatValue(s.latencyP99Ms),
    s.labelled,
    quality,
  ];
}

export const statusCommand: Command = {
  kind: 'command',
  name: 'status',
  summary: 'Where a rollout stands: state, shares, live figures of the stable and canary versions.',
  usage: '[--address <host:port>] [--json]',
  positionals: [deploymentPositional],
  options: deployerConnectionOptions,
  details: `Figures count from the start of the current phase (the canary's start, or the last change). ${DEPLOYER_CONNECTION_DETAILS}`,
  async run(options, io) {
    const deployment = options.positional('deployment');
    const status = await withDeployer(options, (client) => client.getRolloutStatus({ deployment }));
    if (options.flag('json')) return io.stdout(toJson(status));
    const d = status.deployment;
    if (!d) return;
    const summary = table(
      ['field', 'value'],
      [
        ['deployment', d.name],
        ['model', d.modelName],
        ['follows', d.alias || '(pinned)'],
        ['state', STATES[d.state] ?? 'unknown'],
        ['stable', version(d.stableVersion)],
        ['canary', version(d.canaryVersion)],
        ['canary share', share(d)],
        ['canary since', time(d.canaryStartTime)],
        ['judgement', status.summary],
      ],
    );
    const rows = [...(status.stable ? [statsRow('stable', status.stable)] : []), ...(status.canary ? [statsRow('canary', status.canary)] : [])];
    const figures = table(['', 'version', 'requests', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'p99 ms', 'labelled', 'quality'], rows);
    io.stdout(`${summary}\n\n${figures}\n`);
  },
};

export const rollbackCommand: Command = {
  kind: 'command',
  name: 'rollback',
  summary: 'Drop the canary, or return to the previous stable version (or to --to-version).',
  usage: '[--to-version <n>] [--reason <text>] [--address <host:port>] [--json]',
  positionals: [deploymentPositional],
  options: {
    'to-version': { type: 'string', value: 'n', description: 'the version to serve (default: drop the canary, or the previous stable version)' },
    reason: { type: 'string', value: 'text', description: 'why, recorded in the DeploymentChanged event' },
    ...deployerConnectionOptions,
  },
  details: `Needs the promote role. ${DEPLOYER_CONNECTION_DETAILS}`,
  async run(options, io) {
    const deployment = options.positional('deployment');
    const toVersion = options.number('to-version', { integer: true, min: 1 }) ?? 0;
    const response = await withDeployer(options, (client) => client.rollback({ deployment, toVersion, reason: options.string('reason') ?? '' }));
    if (options.flag('json')) return io.stdout(toJson(response.deployment));
    const d = response.deployment;
    if (d) io.stdout(`${d.name}: ${version(d.stableVersion)} serves all traffic\n`);
  },
};
