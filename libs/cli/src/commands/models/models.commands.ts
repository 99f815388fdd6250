import { parseNumber, type PositionalSpec } from '../../args';
import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { deploymentLine, deploymentsOfModel } from '../deployments/alias-divergence';
import { downloadedText, downloadObject } from '../../grpc/download';
import { formatValue, table, toJson } from '../../output';
import { CONNECTION_DETAILS, connectionOptions, withRegistry } from './registry-connection';

const modelPositional: PositionalSpec = { name: 'model', required: true, description: 'the model' };
const limitOption = { limit: { type: 'string', value: 'n', description: 'at most n rows (default 50)' } } as const;

function aliasesText(aliases: Readonly<Record<string, number>>): string {
  const entries = Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([alias, version]) => `${alias}=v${version}`).join(' ');
}

function time(value: Date | string | null | undefined): string {
  if (!value) return '-';
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const listCommand: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List models with their latest version and aliases.',
  usage: '[--limit <n>] [--address <host:port>] [--json]',
  options: { ...limitOption, ...connectionOptions },
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
    const response = await withRegistry(options, (client) => client.listModels({ page: { pageSize, pageToken: '' } }));
    if (options.flag('json')) return io.stdout(toJson(response.models));
    io.stdout(
      `${table(
        ['model', 'latest', 'aliases', 'owner', 'created'],
        response.models.map((m) => [m.name, m.latestVersion, aliasesText(m.aliases), m.ownerTeam || '-', time(m.createTime)]),
      )}\n`,
    );
  },
};

export const showCommand: Command = {
  kind: 'command',
  name: 'show',
  summary: 'Show a model, its aliases and its promotion policy.',
  usage: '[--address <host:port>] [--json]',
  positionals: [modelPositional],
  options: connectionOptions,
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const name = options.positional('model');
    const { model, policy } = await withRegistry(options, async (client) => ({
      model: (await client.getModel({ name })).model,
      policy: (await client.getPromotionPolicy({ modelName: name })).policy,
    }));
    const deployments = await deploymentsOfModel(name);
    if (options.flag('json')) return io.stdout(toJson({ model, policy, deployments }));
    if (!model || !policy) return;
    const margins = [
      policy.minAbsoluteImprovement > 0 ? `absolute ≥ ${policy.minAbsoluteImprovement}` : '',
      policy.minRelativeImprovement > 0 ? `relative ≥ ${formatValue(policy.minRelativeImprovement * 100, 3)}%` : '',
    ].filter(Boolean);
    io.stdout(
      `${table(
        ['field', 'value'],
        [
          ['model', model.name],
          ['description', model.description || '-'],
          ['owner', model.ownerTeam || '-'],
          ['latest version', model.latestVersion],
          ['aliases', aliasesText(model.aliases)],
          ['created', time(model.createTime)],
          ['auto-promote', policy.autoPromote ? `yes, to ${policy.alias}` : 'no'],
          ['judged by', policy.metric || "the run's spec metric"],
          ['margins', margins.length > 0 ? margins.join(', ') : 'strictly better'],
          ['min holdout rows', policy.minHoldoutRows],
          [
            'auto-deploy',
            policy.autoDeploy === false ? 'no: only deployments made on purpose serve it' : 'yes, a deployment named after the model',
          ],
          ...(deployments ?? []).map((d) => ['deployment', deploymentLine(d, model.aliases)]),
          ...(deployments === undefined ? [['deployments', '? (the deployer did not answer)']] : []),
        ],
      )}\n`,
    );
  },
};

export const versionsCommand: Command = {
  kind: 'command',
  name: 'versions',
  summary: 'List the versions of a model, newest first, with their run, data and metric.',
  usage: '[--limit <n>] [--address <host:port>] [--json]',
  positionals: [modelPositional],
  options: { ...limitOption, ...connectionOptions },
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const modelName = options.positional('model');
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
    const { versions } = await withRegistry(options, (client) =>
      client.listModelVersions({ modelName, page: { pageSize, pageToken: '' } }),
    );
    if (options.flag('json')) return io.stdout(toJson(versions));
    io.stdout(
      `${table(
        ['version', 'aliases', 'run', 'dataset', 'feature view', 'metric', 'value', 'registered'],
        versions.map((v) => {
          const value = v.metrics[v.metric];
          const lineage = v.lineage;
          return [
            v.version,
            v.aliases.length > 0 ? v.aliases.join(',') : '-',
            v.runId,
            lineage?.dataset ? `${lineage.dataset} v${lineage.datasetVersionFrom}-${lineage.datasetVersionTo}` : '-',
            lineage?.featureView ? `${lineage.featureView} r${lineage.featureViewRevision}` : '-',
            v.metric || '-',
            value === undefined ? '-' : formatValue(value),
            time(v.createTime),
          ];
        }),
      )}\n`,
    );
  },
};

export const promoteCommand: Command = {
  kind: 'command',
  name: 'promote',
  summary: 'Point an alias (production by default) at a version, bypassing the promotion policy (audited).',
  usage: '[--alias <alias>] [--reason <text>] [--address <host:port>] [--json]',
  positionals: [modelPositional, { name: 'version', required: true, description: 'the version to point the alias at' }],
  options: {
    alias: { type: 'string', value: 'alias', description: 'the alias to move (default production)' },
    reason: { type: 'string', value: 'text', description: 'why; recorded in the audit log and the event' },
    ...connectionOptions,
  },
  details: `Needs the promote role. ${CONNECTION_DETAILS}`,
  async run(options, io) {
    const modelName = options.positional('model');
    const version = parseNumber(options.positional('version'), '<version>', { integer: true, min: 1 });
    const alias = options.string('alias') ?? 'production';
    const response = await withRegistry(options, (client) =>
      client.setAlias({ modelName, alias, version, reason: options.string('reason') ?? '' }),
    );
    if (options.flag('json')) return io.stdout(toJson(response));
    const from = response.previousVersion === 0 ? 'nothing' : `v${response.previousVersion}`;
    io.stdout(
      response.previousVersion === version
        ? `${modelName} ${alias} already points at v${version}\n`
        : `${modelName} ${alias}: ${from} → v${version}\n`,
    );
  },
};

export const auditCommand: Command = {
  kind: 'command',
  name: 'audit',
  summary: 'Show the audit log of a model, newest first: who moved which alias, and why.',
  usage: '[--limit <n>] [--address <host:port>] [--json]',
  positionals: [modelPositional],
  options: { ...limitOption, ...connectionOptions },
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const modelName = options.positional('model');
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
    const { entries, AuditAction } = await withRegistry(options, async (client, contracts) => ({
      entries: (
        await client.listAuditLog({
          modelName,
          action: contracts.registryV1.AuditAction.AUDIT_ACTION_UNSPECIFIED,
          page: { pageSize, pageToken: '' },
        })
      ).entries,
      AuditAction: contracts.registryV1.AuditAction,
    }));
    if (options.flag('json')) return io.stdout(toJson(entries.map((e) => ({ ...e, action: AuditAction[e.action] }))));
    io.stdout(
      `${table(
        ['time', 'who', 'action', 'version', 'alias', 'champion', 'challenger', 'why'],
        entries.map((e) => {
          const c = e.comparison;
          return [
            time(e.time),
            e.actor?.team || e.actor?.service || '-',
            (AuditAction[e.action] ?? String(e.action))
              .replace(/^AUDIT_ACTION_/, '')
              .toLowerCase()
              .replace(/_/g, ' '),
            e.version || '-',
            e.alias || '-',
            c?.championValue == null ? '-' : formatValue(c.championValue),
            c == null ? '-' : formatValue(c.challengerValue),
            e.reasons.join('; ') || '-',
          ];
        }),
      )}\n`,
    );
  },
};

export const downloadCommand: Command = {
  kind: 'command',
  name: 'download',
  summary: "Download a version's model artifact (Flywheel's JSON, or an imported version's ONNX graph), checked against its sha256.",
  usage: '--out <file.json> [--version <n> | --alias <alias>] [--address <host:port>] [--json]',
  positionals: [modelPositional],
  options: {
    out: { type: 'string', required: true, value: 'file.json', description: 'where to write the artifact' },
    version: { type: 'string', value: 'n', description: 'the version (default: the production alias)' },
    alias: { type: 'string', value: 'alias', description: 'the version an alias points at' },
    ...connectionOptions,
  },
  details: `The artifact is what \`flywheel ml predict --model\` and \`ml eval\` read. ${CONNECTION_DETAILS}`,
  async run(options, io) {
    const modelName = options.positional('model');
    const version = options.number('version', { integer: true, min: 1 });
    const alias = options.string('alias');
    if (version !== undefined && alias !== undefined) throw new UsageError('give either --version or --alias');
    const selector = version !== undefined ? { version } : { alias: alias ?? 'production' };
    const out = options.required('out');
    const object = await withRegistry(options, (client) =>
      downloadObject(async (offset) => (await client.readModelArtifact({ modelName, ...selector, offset, maxBytes: 0 })).chunk, out, io),
    );
    io.stdout(downloadedText(out, object, options.flag('json')));
  },
};
