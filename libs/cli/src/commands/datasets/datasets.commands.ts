import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type commonV1, type ingestionV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type OptionSpecs, type ParsedOptions, type PositionalSpec } from '../../args';
import { type Command } from '../../command';
import { NotDoneError, userInput } from '../../errors';
import { connectionOptions, Targets, withService } from '../../grpc/service-connection';
import { splitCsv } from '../../csv-text';
import { table, toJson } from '../../output';
import { BOOLEAN_TEXTS } from '../../values';

/** Loaded on use: the generated code pulls in gRPC. */
const contracts = () => import('@flywheel/contracts');

const ROWS_PER_BATCH = 1000;

const connection: OptionSpecs = connectionOptions(Targets.ingestion);

const datasetPositional: PositionalSpec = { name: 'dataset', required: true, description: 'the dataset' };

type Client = GrpcClient<ingestionV1.IngestionServiceController>;

/** Runs `work` with a client; a gRPC error becomes a one-line usage error. */
const withClient = <T>(options: ParsedOptions, work: (client: Client) => Promise<T>): Promise<T> =>
  withService<ingestionV1.IngestionServiceController, T>(Targets.ingestion, options, (client) => work(client));

const time = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : '-');

export const listCommand: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List datasets with their latest version, and ingest topics that receive records without a dataset.',
  usage: '[--address <host:port>] [--json]',
  options: connection,
  run: (options, io) =>
    withClient(options, async (client) => {
      const datasets: ingestionV1.Dataset[] = [];
      const unregistered: ingestionV1.UnregisteredTopic[] = [];
      let pageToken = '';
      // Bounded by the server's paging: each page is followed until it says there is no next one.
      do {
        const response = await client.listDatasets({ page: { pageSize: 1000, pageToken } });
        datasets.push(...response.datasets);
        unregistered.push(...response.unregisteredTopics);
        pageToken = response.page?.nextPageToken ?? '';
      } while (pageToken);
      if (options.flag('json')) return io.stdout(toJson({ datasets, unregisteredTopics: unregistered }));
      io.stdout(
        `${table(
          ['name', 'latest', 'columns', 'owner', 'topic'],
          datasets.map((d) => [d.name, d.latestVersion, d.contract?.columns.length ?? 0, d.ownerTeam, d.ingestTopic]),
        )}\n`,
      );
      if (unregistered.length > 0) {
        io.stdout(
          `\ntopics receiving records with no dataset registered (their records are in <topic>.dlq):\n${table(
            ['topic', 'dead-lettered', 'first seen', 'last seen'],
            unregistered.map((t) => [t.topic, t.deadLettered, time(t.firstSeen), time(t.lastSeen)]),
          )}\n`,
        );
      }
    }),
};

export const showCommand: Command = {
  kind: 'command',
  name: 'show',
  summary: 'Show a dataset: its contract and commit policy.',
  usage: '[--address <host:port>] [--json]',
  positionals: [datasetPositional],
  options: connection,
  run: (options, io) =>
    withClient(options, async (client) => {
      const { commonV1 } = await contracts();
      const dataset = (await client.getDataset({ name: options.positional('dataset') })).dataset!;
      if (options.flag('json')) return io.stdout(toJson(dataset));
      const contract = dataset.contract!;
      const policy = dataset.commitPolicy;
      io.stdout(
        `${dataset.name} — ${dataset.description || '(no description)'}\n` +
          `owner ${dataset.ownerTeam || '-'}, latest version ${dataset.latestVersion}, topic ${dataset.ingestTopic}\n` +
          `commit every ${policy?.maxRows ?? '-'} rows or ${policy?.maxInterval ? policy.maxInterval.seconds + policy.maxInterval.nanos / 1e9 : '-'} s\n` +
          `unique key: ${contract.uniqueKey.join(', ') || '-'}; event time: ${contract.eventTimeColumn || '-'}\n\n` +
          `${table(
            ['column', 'type', 'required', 'min', 'max', 'allowed'],
            contract.columns.map((c) => [
              c.name,
              (commonV1.ColumnType[c.type] ?? String(c.type)).replace('COLUMN_TYPE_', '').toLowerCase(),
              c.required ? 'yes' : 'no',
              c.min ?? '-',
              c.max ?? '-',
              c.allowedValues.join('|') || '-',
            ]),
          )}\n`,
      );
    }),
};

export const versionsCommand: Command = {
  kind: 'command',
  name: 'versions',
  summary: "List a dataset's versions, newest first.",
  usage: '[--address <host:port>] [--json]',
  positionals: [datasetPositional],
  options: connection,
  run: (options, io) =>
    withClient(options, async (client) => {
      const { ingestionV1 } = await contracts();
      const response = await client.listVersions({ dataset: options.positional('dataset'), page: { pageSize: 1000, pageToken: '' } });
      if (options.flag('json')) return io.stdout(toJson(response.versions));
      io.stdout(
        `${table(
          ['version', 'rows', 'total', 'quarantined', 'trigger', 'committed', 'sha256', 'object'],
          response.versions.map((v) => [
            v.version,
            v.rowCount,
            v.cumulativeRowCount,
            v.quarantinedCount,
            (ingestionV1.CommitTrigger[v.trigger] ?? String(v.trigger)).replace('COMMIT_TRIGGER_', '').toLowerCase(),
            time(v.commitTime),
            v.object?.sha256.slice(0, 12) ?? '-',
            v.object?.key ?? '-',
          ]),
        )}\n`,
      );
    }),
};

const REPLAY_OUTCOMES: Record<number, string> = { 1: 'accepted', 2: 'quarantined again', 3: 'duplicate' };

export const quarantineCommand: Command = {
  kind: 'command',
  name: 'quarantine',
  summary: "List a dataset's quarantined records, newest first, with what is wrong with each.",
  usage: '[--limit <n>] [--all] [--address <host:port>] [--json]',
  positionals: [datasetPositional],
  options: {
    limit: { type: 'string', value: 'n', description: 'at most this many records (default 50)' },
    all: { type: 'boolean', description: 'also the records already replayed (`flywheel datasets replay`), with what their replay did' },
    ...connection,
  },
  details:
    'Records wait in quarantine until they are replayed; a record that fails its replay waits again as a new entry (origin `replay:<id>`).',
  run: (options, io) =>
    withClient(options, async (client) => {
      const limit = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
      const all = options.flag('all');
      const response = await client.listQuarantine({
        dataset: options.positional('dataset'),
        page: { pageSize: limit, pageToken: '' },
        includeReplayed: all,
      });
      if (options.flag('json')) return io.stdout(toJson(response.records));
      io.stdout(
        `${table(
          ['id', 'time', 'origin', ...(all ? ['replayed'] : []), 'problems', 'record'],
          response.records.map((r) => [
            r.id,
            time(r.quarantineTime),
            r.origin,
            ...(all ? [r.replayTime ? `${REPLAY_OUTCOMES[r.replayOutcome] ?? '-'} ${time(r.replayTime)}` : '-'] : []),
            r.violations.map((v) => v.message).join('; '),
            r.raw.length > 60 ? `${r.raw.slice(0, 60)}…` : r.raw,
          ]),
        )}\n`,
      );
    }),
};

export const replayCommand: Command = {
  kind: 'command',
  name: 'replay',
  summary: "Judge a dataset's quarantined records again against its contract as it is now, once the contract was fixed.",
  usage: '[--id <id>]… [--limit <n>] [--commit] [--address <host:port>] [--json]',
  positionals: [datasetPositional],
  options: {
    id: {
      type: 'string',
      multiple: true,
      value: 'id',
      description: 'replay this quarantine entry (repeatable; at most 1000); default: every waiting record',
    },
    limit: { type: 'string', value: 'n', description: 'without --id: at most this many records, oldest first (default 100000)' },
    commit: { type: 'boolean', description: 'commit what was accepted as a version at once' },
    ...connection,
  },
  details: [
    'Relax the contract first (`flywheel apply` with the changed dataset: wider bounds, more allowed values, a new',
    'optional column), then replay: records that pass are accepted as if just received (their unique keys',
    'checked), those that fail wait again with the new reasons. Each record is replayed once, so running the',
    'command again replays only what failed since.',
  ].join('\n'),
  run: (options, io) =>
    withClient(options, async (client) => {
      const dataset = options.positional('dataset');
      const ids = options.all('id');
      const limit = options.number('limit', { integer: true, min: 1, max: 100_000 }) ?? 0;
      const result = await client.replayQuarantine({ dataset, ids, limit, commitNow: options.flag('commit') });
      if (options.flag('json')) return io.stdout(toJson(result));
      io.stdout(
        `${table(
          ['replayed', 'accepted', 'quarantined again', 'duplicates', 'still waiting', 'committed version'],
          [
            [
              result.replayed,
              result.accepted,
              result.quarantined,
              result.duplicates,
              result.remaining,
              result.committedVersion?.version ?? '-',
            ],
          ],
        )}\n`,
      );
      if (result.skippedIds.length > 0)
        io.stderr(`not waiting in quarantine (unknown, or replayed already): ${result.skippedIds.join(', ')}\n`);
      if (result.quarantined > 0) io.stderr(`see 'flywheel datasets quarantine ${dataset}' for why the others still fail\n`);
    }),
};

export const ingestCommand: Command = {
  kind: 'command',
  name: 'ingest',
  summary: 'Send the rows of a CSV file to a dataset (validated against its contract).',
  usage: '--file <data.csv> [--commit] [--max-quarantine-share <f>] [--address <host:port>] [--json]',
  positionals: [datasetPositional],
  options: {
    file: { type: 'string', required: true, value: 'file', description: 'CSV with a header of column names' },
    commit: { type: 'boolean', description: 'commit a version right after the last row' },
    'max-quarantine-share': {
      type: 'string',
      value: 'f',
      description: 'exit 3 when more than this share of the rows is quarantined (default: only when every row is)',
    },
    ...connection,
  },
  details: [
    'Cells are typed by the dataset contract: numbers for double and integer columns, true/false',
    '(also True/False, TRUE/FALSE and 1/0, as pandas and spreadsheets write them) for booleans,',
    'RFC 3339 text for timestamps; an empty cell is null. Rows go in batches of',
    `${ROWS_PER_BATCH} whose ids derive from the file's content, so running the command again on the`,
    'same file adds nothing.',
  ].join('\n'),
  run: (options, io) =>
    withClient(options, async (client) => {
      const name = options.positional('dataset');
      const file = options.required('file');
      const maxQuarantineShare = options.number('max-quarantine-share', { min: 0, max: 1 });
      const bytes = userInput(file, () => readFileSync(file));
      const dataset = (await client.getDataset({ name })).dataset!;
      const { commonV1 } = await contracts();
      const rows = userInput(file, () => csvRows(bytes.toString('utf8'), dataset.contract!, commonV1.ColumnType));
      const fingerprint = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
      const total = { accepted: 0, quarantined: 0, duplicates: 0, rejections: [] as ingestionV1.RecordRejection[], committedVersion: 0 };
      for (let start = 0, batch = 0; start < rows.length || (batch === 0 && options.flag('commit')); start += ROWS_PER_BATCH, batch++) {
        const last = start + ROWS_PER_BATCH >= rows.length;
        const response = await client.ingest({
          dataset: name,
          rows: rows.slice(start, start + ROWS_PER_BATCH),
          batchId: `cli-${fingerprint}-${batch}`,
          commitNow: last && options.flag('commit'),
        });
        const summary = response.summary!;
        total.accepted += summary.accepted;
        total.quarantined += summary.quarantined;
        total.duplicates += summary.duplicates;
        total.rejections.push(...summary.rejections.map((r) => ({ ...r, index: r.index + start })));
        if (summary.committedVersion) total.committedVersion = summary.committedVersion.version;
        io.stderr(`sent ${Math.min(start + ROWS_PER_BATCH, rows.length)} of ${rows.length} rows\n`);
        if (last) break;
      }
      if (options.flag('json')) io.stdout(toJson({ dataset: name, file, rows: rows.length, ...total }));
      else
        io.stdout(
          `${table(['rows', 'accepted', 'quarantined', 'duplicates', 'committed version'], [[rows.length, total.accepted, total.quarantined, total.duplicates, total.committedVersion || '-']])}\n`,
        );
      if (total.rejections.length > 0) {
        io.stdout(
          `\n${table(
            ['line', 'problems'],
            total.rejections.slice(0, 20).map((r) => [r.index + 2, r.record?.violations.map((v) => v.message).join('; ') ?? '']),
          )}\n`,
        );
      }
      const share = rows.length === 0 ? 0 : total.quarantined / rows.length;
      const tooMany = maxQuarantineShare === undefined ? rows.length > 0 && total.quarantined === rows.length : share > maxQuarantineShare;
      if (tooMany)
        throw new NotDoneError(
          `${total.quarantined} of ${rows.length} rows were quarantined` +
            (maxQuarantineShare === undefined
              ? ''
              : ` (${(100 * share).toFixed(1)}%, more than --max-quarantine-share ${maxQuarantineShare})`) +
            `; see 'flywheel datasets quarantine ${name}'`,
        );
    }),
};

/** How booleans are written in a boolean column: as any untyped text writes them, and as bits. */
const BOOLEAN_CELLS: ReadonlyMap<string, boolean> = new Map([...BOOLEAN_TEXTS, ['1', true], ['0', false]]);

/** CSV rows as gRPC rows typed by the contract; what does not fit is sent as text for the server to quarantine. */
export function csvRows(text: string, contract: ingestionV1.DataContract, ColumnType: typeof commonV1.ColumnType): commonV1.Row[] {
  const [header, ...body] = splitCsv(text);
  if (!header) throw new Error('the file is empty');
  const types = new Map(contract.columns.map((c) => [c.name, c.type]));
  return body.map((cells, line) => {
    if (cells.length !== header.length) throw new Error(`line ${line + 2} has ${cells.length} fields, the header ${header.length}`);
    const row: commonV1.Row = { values: {} };
    header.forEach((column, j) => {
      const cell = cells[j]!;
      if (cell === '') {
        row.values[column] = {};
        return;
      }
      const type = types.get(column);
      const number = Number(cell);
      if (
        (type === ColumnType.COLUMN_TYPE_DOUBLE || type === ColumnType.COLUMN_TYPE_INTEGER) &&
        cell.trim() !== '' &&
        Number.isFinite(number)
      )
        row.values[column] = { numberValue: number };
      else if (type === ColumnType.COLUMN_TYPE_BOOLEAN && BOOLEAN_CELLS.has(cell))
        row.values[column] = { boolValue: BOOLEAN_CELLS.get(cell)! };
      else row.values[column] = { stringValue: cell };
    });
    return row;
  });
}
