import { type deployerV1 } from '@flywheel/contracts';
import { type OptionSpecs, type ParsedOptions, parseNumber } from '../../args';
import { durationSeconds } from '../../durations';
import { aliasDivergence, aliasesOfModels } from './alias-divergence';
import { type Command, type Io } from '../../command';
import { UsageError } from '../../errors';
import { formatValue, table, toJson } from '../../output';
import {
  DEPLOYER_CONNECTION_DETAILS,
  type DeployerClient,
  deployerConnectionOptions,
  deploymentPositional,
  withDeployer,
} from './deployer-connection';

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
    const aliases = await aliasesOfModels(response.deployments.filter((d) => d.alias).map((d) => d.modelName));
    io.stdout(
      `${table(
        ['deployment', 'model', 'follows', 'state', 'stable', 'canary', 'canary share', 'updated', 'registry'],
        response.deployments.map((d) => [
          d.name,
          d.modelName,
          d.alias || '(pinned)',
          STATES[d.state] ?? 'unknown',
          version(d.stableVersion),
          version(d.canaryVersion),
          share(d),
          time(d.updateTime),
          aliases ? (aliasDivergence(d, aliases.get(d.modelName)) ?? 'agrees') : '?',
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
    const summary = deploymentTable(d, [['judgement', status.summary]]);
    const rows = [
      ...(status.stable ? [statsRow('stable', status.stable)] : []),
      ...(status.canary ? [statsRow('canary', status.canary)] : []),
    ];
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
    'to-version': {
      type: 'string',
      value: 'n',
      description: 'the version to serve (default: drop the canary, or the previous stable version)',
    },
    reason: { type: 'string', value: 'text', description: 'why, recorded in the DeploymentChanged event' },
    ...deployerConnectionOptions,
  },
  details: `Needs the promote role. ${DEPLOYER_CONNECTION_DETAILS}`,
  async run(options, io) {
    const deployment = options.positional('deployment');
    const toVersion = options.number('to-version', { integer: true, min: 1 }) ?? 0;
    const response = await withDeployer(options, (client) =>
      client.rollback({ deployment, toVersion, reason: options.string('reason') ?? '' }),
    );
    if (options.flag('json')) return io.stdout(toJson(response.deployment));
    const d = response.deployment;
    if (d) io.stdout(`${d.name}: ${version(d.stableVersion)} serves all traffic\n`);
  },
};

/** A deployment as a field/value table, with `extra` rows at the end. */
function deploymentTable(d: deployerV1.Deployment, extra: [string, string][] = []): string {
  return table(
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
      ...extra,
    ],
  );
}

function policyRow(d: deployerV1.Deployment): [string, string] {
  const p = d.canaryPolicy;
  if (!p) return ['canary policy', '-'];
  const duration = p.maxDuration ? `${formatValue(p.maxDuration.seconds + p.maxDuration.nanos / 1e9)} s` : '-';
  return [
    'canary policy',
    `share ${formatValue(p.trafficShare)}, min requests ${p.minRequests}, max error rate increase ${formatValue(p.maxErrorRateIncrease)}, ` +
      `max latency ratio ${formatValue(p.maxLatencyRatio)}, max accuracy drop ${formatValue(p.maxAccuracyDrop)}, min labelled ${p.minLabelled}, max duration ${duration}`,
  ];
}

/** Each canary option: the CanaryPolicy field it sets and how its value is read. */
const CANARY_OPTIONS: readonly {
  option: string;
  field: string;
  value: string;
  description: string;
  read: (raw: string, label: string) => Partial<deployerV1.CanaryPolicy>;
}[] = [
  {
    option: 'canary-share',
    value: 'x',
    field: 'traffic_share',
    description: 'share of traffic on a canary, 0 < x ≤ 1 (1 skips the canary)',
    read: (raw, label) => ({ trafficShare: parseNumber(raw, label, { min: 0, max: 1, exclusiveMin: true }) }),
  },
  {
    option: 'canary-min-requests',
    value: 'n',
    field: 'min_requests',
    description: 'requests on each version before the canary is judged',
    read: (raw, label) => ({ minRequests: parseNumber(raw, label, { integer: true, min: 1 }) }),
  },
  {
    option: 'canary-max-error-rate-increase',
    value: 'x',
    field: 'max_error_rate_increase',
    description: "tolerated error rate above the stable version's (absolute, e.g. 0.01)",
    read: (raw, label) => ({ maxErrorRateIncrease: parseNumber(raw, label, { min: 0, max: 1 }) }),
  },
  {
    option: 'canary-max-latency-ratio',
    value: 'x',
    field: 'max_latency_ratio',
    description: "tolerated canary p95 latency / stable's, 1 or more",
    read: (raw, label) => ({ maxLatencyRatio: parseNumber(raw, label, { min: 1 }) }),
  },
  {
    option: 'canary-max-accuracy-drop',
    value: 'x',
    field: 'max_accuracy_drop',
    description: 'tolerated accuracy drop where labels arrive (absolute)',
    read: (raw, label) => ({ maxAccuracyDrop: parseNumber(raw, label, { min: 0, max: 1 }) }),
  },
  {
    option: 'canary-min-labelled',
    value: 'n',
    field: 'min_labelled',
    description: 'labels on each version before accuracy counts',
    read: (raw, label) => ({ minLabelled: parseNumber(raw, label, { integer: true, min: 1 }) }),
  },
  {
    option: 'canary-max-duration',
    value: 'duration',
    field: 'max_duration',
    description: 'judge by then at the latest, e.g. 90s, 30m, 2h',
    read: (raw, label) => ({ maxDuration: { seconds: parseDurationSeconds(raw, label), nanos: 0 } }),
  },
];

const canaryOptions: OptionSpecs = Object.fromEntries(
  CANARY_OPTIONS.map(({ option, value, description }) => [option, { type: 'string', value, description }]),
);

/** `90s`, `30m`, `2h`, `1h30m` or plain seconds, as whole seconds. */
export function parseDurationSeconds(raw: string, label: string): number {
  const seconds = durationSeconds(raw) ?? 0;
  if (seconds <= 0) throw new UsageError(`${label} expects a positive duration such as 90s, 30m or 2h, got ${JSON.stringify(raw)}`);
  return seconds;
}

/** The canary options given, as a CanaryPolicy and the names of the fields it sets (the others stay as they are). */
export function canaryPolicyOf(options: ParsedOptions): Pick<deployerV1.DeployRequest, 'canaryPolicy' | 'canaryPolicyFields'> {
  const given = CANARY_OPTIONS.filter(({ option }) => options.string(option) !== undefined);
  if (given.length === 0) return { canaryPolicy: undefined, canaryPolicyFields: [] };
  const policy: deployerV1.CanaryPolicy = {
    trafficShare: 0,
    minRequests: 0,
    maxErrorRateIncrease: 0,
    maxLatencyRatio: 0,
    maxAccuracyDrop: 0,
    minLabelled: 0,
    maxDuration: undefined,
  };
  for (const { option, read } of given) Object.assign(policy, read(options.string(option)!, `--${option}`));
  return { canaryPolicy: policy, canaryPolicyFields: given.map(({ field }) => field) };
}

const reasonOption: OptionSpecs = {
  reason: { type: 'string', value: 'text', description: 'why, recorded in the DeploymentChanged event' },
};

function printDeployed(options: ParsedOptions, io: Io, d: deployerV1.Deployment | undefined): void {
  if (options.flag('json')) return io.stdout(toJson(d));
  if (d) io.stdout(`${deploymentTable(d, [policyRow(d)])}\n`);
}

const DEPLOY_DETAILS =
  "The model, and the version or the alias's version, must be in the registry; a new version starts as a canary " +
  'under the canary policy (the first one serves all traffic). Canary options not given keep their values ' +
  "(a new deployment gets the deployer's defaults). Repeating the same command changes nothing. " +
  `Needs the promote role. ${DEPLOYER_CONNECTION_DETAILS}`;

export const deployCommand: Command = {
  kind: 'command',
  name: 'deploy',
  summary: 'Create or update a deployment: follow an alias or pin a version, set its canary policy.',
  usage:
    '[--model <m>] [--alias <alias> | --version <n>] [--canary-share <x>] [--canary-min-requests <n>] [… canary options] [--reason <text>] [--address <host:port>] [--json]',
  positionals: [{ name: 'deployment', required: true, description: 'the deployment to create or update (normally the model name)' }],
  options: {
    model: { type: 'string', value: 'm', description: 'the model to serve (default: the deployment name)' },
    alias: {
      type: 'string',
      value: 'alias',
      description: 'follow this alias of the model (default production); each move starts a canary',
    },
    version: { type: 'string', value: 'n', description: 'pin this version instead of following an alias' },
    ...canaryOptions,
    ...reasonOption,
    ...deployerConnectionOptions,
  },
  details: DEPLOY_DETAILS,
  async run(options, io) {
    const name = options.positional('deployment');
    const alias = options.string('alias');
    const pinned = options.number('version', { integer: true, min: 1 });
    if (alias !== undefined && pinned !== undefined) throw new UsageError('give either --alias or --version');
    const request: deployerV1.DeployRequest = {
      name,
      modelName: options.string('model') ?? name,
      ...(pinned !== undefined ? { version: pinned } : alias !== undefined ? { alias } : {}),
      ...canaryPolicyOf(options),
      reason: options.string('reason') ?? '',
    };
    const response = await withDeployer(options, (client) => client.deploy(request));
    printDeployed(options, io, response.deployment);
  },
};

/** Deploy on an existing deployment: its model as it is, a new target, its policy as it is. */
async function retarget(
  client: DeployerClient,
  name: string,
  target: { alias?: string; version?: number },
  reason: string,
): Promise<deployerV1.DeployResponse> {
  const current = (await client.getDeployment({ name })).deployment;
  return client.deploy({ name, modelName: current?.modelName ?? '', ...target, canaryPolicy: undefined, canaryPolicyFields: [], reason });
}

export const pinCommand: Command = {
  kind: 'command',
  name: 'pin',
  summary: 'Pin a deployment to a version: it starts as a canary; alias moves no longer change the deployment.',
  usage: '[--reason <text>] [--address <host:port>] [--json]',
  positionals: [deploymentPositional, { name: 'version', required: true, description: 'the version to serve' }],
  options: { ...reasonOption, ...deployerConnectionOptions },
  details: `Pinning the stable version while a canary runs drops the canary. Needs the promote role. ${DEPLOYER_CONNECTION_DETAILS}`,
  async run(options, io) {
    const name = options.positional('deployment');
    const version = parseNumber(options.positional('version'), '<version>', { integer: true, min: 1 });
    const response = await withDeployer(options, (client) => retarget(client, name, { version }, options.string('reason') ?? ''));
    printDeployed(options, io, response.deployment);
  },
};

export const unpinCommand: Command = {
  kind: 'command',
  name: 'unpin',
  summary: "Let a pinned deployment follow an alias again (production by default): the alias's version is served.",
  usage: '[--alias <alias>] [--reason <text>] [--address <host:port>] [--json]',
  positionals: [deploymentPositional],
  options: {
    alias: { type: 'string', value: 'alias', description: 'the alias to follow (default production)' },
    ...reasonOption,
    ...deployerConnectionOptions,
  },
  details: `A version other than the stable one starts as a canary. Needs the promote role. ${DEPLOYER_CONNECTION_DETAILS}`,
  async run(options, io) {
    const name = options.positional('deployment');
    const response = await withDeployer(options, (client) =>
      retarget(client, name, { alias: options.string('alias') }, options.string('reason') ?? ''),
    );
    printDeployed(options, io, response.deployment);
  },
};
