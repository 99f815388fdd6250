import { type commonV1, type featureStoreV1 } from '@flywheel/contracts';
import { type PositionalSpec } from '../../args';
import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { downloadObject, formatBytes } from '../../grpc/download';
import { formatSeconds, formatValue, table, toJson } from '../../output';
import { CONNECTION_DETAILS, connectionOptions, withFeatureStore } from './feature-store-connection';

const viewPositional: PositionalSpec = { name: 'view', required: true, description: 'the feature view' };

// Numeric enums of the contracts, named for people (the contracts module loads lazily).
const COLUMN_TYPES: Record<number, string> = { 1: 'double', 2: 'integer', 3: 'string', 4: 'boolean', 5: 'timestamp' };
const ONLINE_STATUSES: Record<number, string> = { 1: 'present', 2: 'missing', 3: 'expired' };

function time(value: Date | string | null | undefined): string {
  if (!value) return '-';
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const UNITS: ReadonlyArray<readonly [number, string]> = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
];

function ttl(view: featureStoreV1.FeatureView): string {
  if (view.onlineTtl == null) return 'never expires';
  const seconds = view.onlineTtl.seconds + view.onlineTtl.nanos / 1e9;
  const unit = UNITS.find(([size]) => seconds >= size && seconds % size === 0);
  return unit ? `${seconds / unit[0]} ${unit[1]}` : formatSeconds(seconds);
}

function valueText(value: commonV1.Value | undefined): string {
  if (value == null) return '-';
  if (value.numberValue != null) return formatValue(value.numberValue);
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return String(value.boolValue);
  if (value.timestampValue != null) return time(value.timestampValue);
  return 'null';
}

/** A value as plain JSON: the number, text, boolean or instant itself (null when unset). */
function valueJson(value: commonV1.Value | undefined): number | string | boolean | null {
  if (value == null) return null;
  if (value.numberValue != null) return value.numberValue;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  if (value.timestampValue != null) return new Date(value.timestampValue).toISOString();
  return null;
}

/** Online features as a script reads them: statuses by name, values as plain JSON. */
export function onlineFeaturesJson(featureView: string, response: featureStoreV1.GetOnlineFeaturesResponse) {
  return {
    featureView,
    revision: response.featureViewRevision,
    results: response.results.map((r) => ({
      entityKey: r.entityKey,
      status: ONLINE_STATUSES[r.status] ?? 'unknown',
      eventTime: r.eventTime ? new Date(r.eventTime).toISOString() : null,
      expireTime: r.expireTime ? new Date(r.expireTime).toISOString() : null,
      values: Object.fromEntries(Object.entries(r.values?.values ?? {}).map(([name, value]) => [name, valueJson(value)])),
    })),
  };
}

export const viewsCommand: Command = {
  kind: 'command',
  name: 'views',
  summary: 'List feature views (current revisions) with their dataset, entity and materialised version.',
  usage: '[--dataset <name>] [--limit <n>] [--address <host:port>] [--json]',
  options: {
    dataset: { type: 'string', value: 'name', description: 'only views over this dataset' },
    limit: { type: 'string', value: 'n', description: 'at most n rows (default 50)' },
    ...connectionOptions,
  },
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
    const response = await withFeatureStore(options, (client) =>
      client.listFeatureViews({ dataset: options.string('dataset') ?? '', page: { pageSize, pageToken: '' } }),
    );
    if (options.flag('json')) return io.stdout(toJson(response.featureViews));
    io.stdout(
      `${table(
        ['view', 'revision', 'dataset', 'entity', 'features', 'online ttl', 'materialised', 'applied'],
        response.featureViews.map((v) => [
          v.name,
          v.revision,
          v.dataset,
          v.entityKey,
          v.features.length,
          ttl(v),
          v.materialisedDatasetVersion > 0 ? `v${v.materialisedDatasetVersion}` : '-',
          time(v.applyTime),
        ]),
      )}\n`,
    );
  },
};

export const showCommand: Command = {
  kind: 'command',
  name: 'show',
  summary: 'Show a feature view and how each feature is computed.',
  usage: '[--revision <n>] [--address <host:port>] [--json]',
  positionals: [viewPositional],
  options: { revision: { type: 'string', value: 'n', description: 'a past revision (default: the current one)' }, ...connectionOptions },
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const name = options.positional('view');
    const revision = options.number('revision', { integer: true, min: 1 }) ?? 0;
    const { featureView: view } = await withFeatureStore(options, (client) => client.getFeatureView({ name, revision }));
    if (options.flag('json')) return io.stdout(toJson(view));
    if (!view) return;
    const summary = table(
      ['field', 'value'],
      [
        ['view', view.name],
        ['revision', view.revision],
        ['description', view.description || '-'],
        ['dataset', view.dataset],
        ['entity key', view.entityKey],
        ['event time', view.eventTimeColumn],
        ['online ttl', ttl(view)],
        ['materialised', view.materialisedDatasetVersion > 0 ? `up to v${view.materialisedDatasetVersion}` : 'nothing yet'],
        ['applied', time(view.applyTime)],
      ],
    );
    const features = table(
      ['feature', 'type', 'computed as', 'description'],
      view.features.map((f) => [
        f.name,
        COLUMN_TYPES[f.type] ?? '-',
        f.expression ? f.expression : `column ${f.column}`,
        f.description || '-',
      ]),
    );
    io.stdout(`${summary}\n\n${features}\n`);
  },
};

export const onlineCommand: Command = {
  kind: 'command',
  name: 'online',
  summary: 'Read the latest feature values of entities from the online store.',
  usage: '[--features <a,b>] [--address <host:port>] [--json]',
  positionals: [viewPositional, { name: 'entity', required: true, variadic: true, description: 'the entity keys to read' }],
  options: {
    features: { type: 'string', value: 'a,b', description: 'only these features (default: all)' },
    ...connectionOptions,
  },
  details: `Values older than the view's online TTL are reported as expired, without values. ${CONNECTION_DETAILS}`,
  async run(options, io) {
    const featureView = options.positional('view');
    const entityKeys = options.positionals('entity');
    const response = await withFeatureStore(options, (client) =>
      client.getOnlineFeatures({ featureView, entityKeys, features: options.list('features') ?? [] }),
    );
    if (options.flag('json')) return io.stdout(toJson(onlineFeaturesJson(featureView, response)));
    const names = [...new Set(response.results.flatMap((r) => Object.keys(r.values?.values ?? {})))];
    io.stdout(
      `${table(
        ['entity', 'status', 'event time', ...names],
        response.results.map((r) => [
          r.entityKey,
          ONLINE_STATUSES[r.status] ?? 'unknown',
          time(r.eventTime),
          ...names.map((n) => valueText(r.values?.values[n])),
        ]),
      )}\n`,
    );
  },
};

/** An instant given on the command line, RFC 3339 (`2026-11-01T00:00:00Z`) or a date (`2026-11-01`, midnight UTC). */
function instantOption(raw: string | undefined, option: string): Date | undefined {
  if (raw === undefined) return undefined;
  const at = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? new Date(`${raw}T00:00:00Z`) : new Date(raw);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(raw))
    throw new UsageError(`--${option} expects an RFC 3339 instant or a date, e.g. 2026-11-01T00:00:00Z, got ${JSON.stringify(raw)}`);
  return at;
}

export const historicalCommand: Command = {
  kind: 'command',
  name: 'historical',
  summary: "Export a point-in-time-correct training set of a view's dataset to a CSV file.",
  usage:
    '--out <file.csv> [--columns <label,…>] [--features <a,b>] [--from-version <n>] [--to-version <n>] [--since <t>] [--until <t>] [--revision <n>] [--address <host:port>] [--json]',
  positionals: [viewPositional],
  options: {
    out: { type: 'string', required: true, value: 'file.csv', description: 'where to write the training set' },
    columns: { type: 'string', value: 'a,b', description: 'dataset columns copied as they are, e.g. the label' },
    features: { type: 'string', value: 'a,b', description: "only these features (default: all of the view's)" },
    'from-version': { type: 'string', value: 'n', description: 'oldest dataset version (default: the first)' },
    'to-version': { type: 'string', value: 'n', description: 'newest dataset version (default: the latest)' },
    since: { type: 'string', value: 't', description: 'only records with event time at or after t (RFC 3339 or a date)' },
    until: { type: 'string', value: 't', description: 'only records with event time before t' },
    revision: { type: 'string', value: 'n', description: 'a past revision of the view (default: the current one)' },
    ...connectionOptions,
  },
  details: [
    "Every record of the view's dataset (or of the versions and times given) is a row: its entity, its event time,",
    'the --columns asked for, and each feature as it was at that instant — never a value recorded later. The file',
    `is checked against the sha256 the feature store recorded before it takes its name. ${CONNECTION_DETAILS}`,
  ].join('\n'),
  async run(options, io) {
    const featureView = options.positional('view');
    const out = options.required('out');
    const since = instantOption(options.string('since'), 'since');
    const until = instantOption(options.string('until'), 'until');
    const version = (name: string) => options.number(name, { integer: true, min: 1 }) ?? 0;
    const { set, object } = await withFeatureStore(options, async (client) => {
      const built = await client.getHistoricalFeatures({
        featureView,
        featureViewRevision: options.number('revision', { integer: true, min: 1 }) ?? 0,
        features: options.list('features') ?? [],
        datasetSpine: {
          datasetVersionFrom: version('from-version'),
          datasetVersionTo: version('to-version'),
          eventTimeRange: since || until ? { start: since, end: until } : undefined,
          extraColumns: options.list('columns') ?? [],
        },
      });
      const key = built.trainingSet!.key;
      const written = await downloadObject(async (offset) => (await client.readTrainingSet({ key, offset, maxBytes: 0 })).chunk, out, io);
      return { set: built, object: written };
    });
    if (options.flag('json')) return io.stdout(toJson({ file: out, ...set, trainingSet: object, profile: undefined }));
    io.stdout(
      `${table(
        ['file', 'rows', 'columns', 'size', 'view', 'dataset versions', 'sha256'],
        [
          [
            out,
            set.rowCount,
            set.columns.length,
            formatBytes(object.sizeBytes),
            `${featureView} r${set.featureViewRevision}`,
            `${set.dataset} v${set.datasetVersionFrom}–v${set.datasetVersionTo}`,
            object.sha256.slice(0, 16),
          ],
        ],
      )}\n`,
    );
  },
};
