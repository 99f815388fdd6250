import { status } from '@grpc/grpc-js';
import { commonV1, type featureStoreV1, ingestionV1 } from '@flywheel/contracts';
import { type FeatureStoreCalls, type IngestionCalls } from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, type SignedIn, signInRegistry } from '../../testing/console-test-kit';
import { MAX_PROFILED_COLUMNS } from './column-profiles.view';

const TOKEN = 'fw_datasets_reader';
const HOSTILE = '<script>alert(1)</script>';
const { ColumnType } = commonV1;
const { ViolationCode } = ingestionV1;

const numeric = (edges: number[], counts: number[], extra: Partial<commonV1.NumericSummary> = {}): commonV1.NumericSummary => ({
  min: edges[0],
  max: edges[edges.length - 1],
  mean: 0,
  std: 0,
  quantiles: [],
  histogramEdges: edges,
  histogramCounts: counts,
  ...extra,
});

const column = (c: Partial<commonV1.ColumnProfile> & { name: string }): commonV1.ColumnProfile => ({
  type: ColumnType.COLUMN_TYPE_DOUBLE,
  count: 0,
  nullCount: 0,
  ...c,
});

/** The latest version's profile: two numeric columns (one with a hostile name), a category, a timestamp. */
const PROFILE: commonV1.DataProfile = {
  rowCount: 20,
  columns: [
    column({
      name: 'amount',
      count: 16,
      nullCount: 4,
      numeric: numeric([0, 10, 20, 30, 40, 50], [4, 9, 0, 2, 1], { mean: 17.5, std: 9.25 }),
    }),
    column({
      name: 'region',
      type: ColumnType.COLUMN_TYPE_STRING,
      count: 20,
      categorical: {
        distinctCount: 3,
        topValues: [
          { value: 'north', count: 12 },
          { value: HOSTILE, count: 5 },
          { value: 'south', count: 3 },
        ],
        otherCount: 0,
      },
    }),
    column({
      name: 'occurred_at',
      type: ColumnType.COLUMN_TYPE_TIMESTAMP,
      count: 20,
      numeric: numeric(
        [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-02T00:00:00Z'), Date.parse('2026-01-03T00:00:00Z')],
        [7, 13],
        {
          mean: Date.parse('2026-01-02T00:00:00Z'),
          std: 2 * 3_600_000,
        },
      ),
    }),
    column({ name: HOSTILE, type: ColumnType.COLUMN_TYPE_INTEGER, count: 19, nullCount: 1, numeric: numeric([1, 2, 3], [10, 9]) }),
  ],
};

const version = (v: Partial<ingestionV1.DatasetVersion> & { version: number }): ingestionV1.DatasetVersion => ({
  dataset: 'claims',
  rowCount: 0,
  cumulativeRowCount: 0,
  object: {
    key: `datasets/claims/v${v.version}/data.parquet`,
    sha256: `${v.version}`.repeat(64),
    sizeBytes: 2048,
    contentType: 'application/vnd.apache.parquet',
  },
  profile: undefined,
  eventTimeRange: undefined,
  trigger: ingestionV1.CommitTrigger.COMMIT_TRIGGER_MAX_ROWS,
  commitTime: undefined,
  quarantinedCount: 0,
  ...v,
});

/** Newest first, as ListVersions answers. */
const VERSIONS = [
  version({
    version: 3,
    rowCount: 20,
    cumulativeRowCount: 150,
    quarantinedCount: 2,
    commitTime: new Date('2026-01-03T12:00:00Z'),
    profile: PROFILE,
  }),
  version({
    version: 2,
    rowCount: 100,
    cumulativeRowCount: 130,
    quarantinedCount: 7,
    commitTime: new Date('2026-01-02T12:00:00Z'),
    eventTimeRange: { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-02T00:00:00Z') },
  }),
  version({ version: 1, rowCount: 30, cumulativeRowCount: 30, commitTime: new Date('2026-01-01T12:00:00Z') }),
];

const DATASET: ingestionV1.Dataset = {
  name: 'claims',
  description: 'Insurance claims',
  contract: {
    columns: [
      { name: 'claim_id', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: [], description: '' },
      {
        name: 'amount',
        type: ColumnType.COLUMN_TYPE_DOUBLE,
        required: true,
        min: 0,
        max: 100000,
        allowedValues: [],
        description: 'Claimed amount',
      },
      { name: 'region', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: ['north', 'south'], description: '' },
      { name: 'occurred_at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, allowedValues: [], description: '' },
    ],
    uniqueKey: ['claim_id'],
    eventTimeColumn: 'occurred_at',
    maxRecordBytes: 0,
    maxValueBytes: 2048,
  },
  commitPolicy: { maxRows: 500, maxInterval: { seconds: 300, nanos: 0 } },
  ownerTeam: 'claims-team',
  createTime: new Date('2026-01-01T00:00:00Z'),
  latestVersion: 3,
  ingestTopic: 'flywheel.ingest.claims',
};

const QUARANTINED: ingestionV1.QuarantinedRecord[] = [
  {
    id: 'q2',
    dataset: 'claims',
    raw: '{"claim_id":"c9","amount":250000}',
    violations: [{ field: 'amount', code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message: 'amount: 250000 is above max 100000' }],
    origin: 'kafka:flywheel.ingest.claims/0/42',
    quarantineTime: new Date('2026-01-03T10:00:00Z'),
    rawSizeBytes: 33,
    rawSha256: 'ab'.repeat(32),
    rawTruncated: false,
    replayTime: undefined,
    replayOutcome: ingestionV1.ReplayOutcome.REPLAY_OUTCOME_UNSPECIFIED,
  },
  {
    id: 'q1',
    dataset: 'claims',
    raw: HOSTILE,
    violations: [{ field: '', code: ViolationCode.VIOLATION_CODE_MALFORMED, message: `${HOSTILE} is not a JSON object` }],
    origin: 'grpc:batch-1/0',
    quarantineTime: new Date('2026-01-02T10:00:00Z'),
    rawSizeBytes: 25,
    rawSha256: 'cd'.repeat(32),
    rawTruncated: false,
    replayTime: undefined,
    replayOutcome: ingestionV1.ReplayOutcome.REPLAY_OUTCOME_UNSPECIFIED,
  },
];

const featureView = (name: string, dataset: string): featureStoreV1.FeatureView => ({
  name,
  dataset,
  entityKey: 'claim_id',
  eventTimeColumn: 'occurred_at',
  features: [
    { name: 'amount', column: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, description: '' },
    { name: 'log_amount', expression: 'log1p(amount)', type: ColumnType.COLUMN_TYPE_DOUBLE, description: '' },
  ],
  revision: 2,
  description: '',
  applyTime: new Date('2026-01-02T00:00:00Z'),
  materialisedDatasetVersion: 3,
  onlineTtl: undefined,
  datasetColumns: [],
});

interface Recorded {
  quarantineRequests: ingestionV1.ListQuarantineRequest[];
  featureViewRequests: featureStoreV1.ListFeatureViewsRequest[];
}

function ingestion(recorded: Recorded, overrides: Partial<IngestionCalls> = {}): () => IngestionCalls {
  return () =>
    fakeCalls<IngestionCalls>('ingestion', {
      listDatasets: async () => ({
        datasets: [DATASET, { ...DATASET, name: 'empty', latestVersion: 0, ownerTeam: '' }],
        page: undefined,
        unregisteredTopics: [],
      }),
      getDataset: async ({ name }) => {
        if (name !== 'claims') throw grpcError(status.NOT_FOUND, `dataset "${name}" is not registered`);
        return { dataset: DATASET };
      },
      listVersions: async () => ({ versions: VERSIONS, page: { nextPageToken: '' } }),
      getVersion: async ({ version: wanted }) => {
        const found = VERSIONS.find((v) => v.version === wanted);
        if (!found) throw grpcError(status.NOT_FOUND, `claims has no version ${wanted}`);
        return { version: found };
      },
      listQuarantine: async (request) => {
        recorded.quarantineRequests.push(request);
        return { records: QUARANTINED, page: { nextPageToken: 'after-q1' } };
      },
      ...overrides,
    });
}

function featureStore(recorded: Recorded, overrides: Partial<FeatureStoreCalls> = {}): () => FeatureStoreCalls {
  return () =>
    fakeCalls<FeatureStoreCalls>('featureStore', {
      listFeatureViews: async (request) => {
        recorded.featureViewRequests.push(request);
        // A view over another dataset too: the page must not show it even if the service did.
        return { featureViews: [featureView('claims_features', 'claims'), featureView('fraud_features', 'payments')], page: undefined };
      },
      ...overrides,
    });
}

/** The text of each cell of each body row of the table with this id. */
function tableRows(page: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(page)?.[1];
  if (!table) throw new Error(`no table #${id} on the page`);
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)![1];
  return body
    .split(/<tr>/)
    .slice(1)
    .map((row) =>
      row
        .split(/<td[^>]*>/)
        .slice(1)
        .map(cellText),
    );
}

/** The raw markup of each body row of the table with this id (for the charts in it). */
function rowMarkup(page: string, id: string): string[] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(page)![1];
  return table.split(/<tr>/).slice(2);
}

const cellText = (cell: string) =>
  cell
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** Bars ECharts drew for the first series of an SVG (a bin of 0 is still drawn, with no height). */
const barsIn = (svg: string) => svg.match(/ecmeta_series_index="0" ecmeta_data_index="\d+"/g)?.length ?? 0;

describe('Datasets pages', () => {
  let kit: ConsoleTestKit;
  let session: SignedIn;
  let recorded: Recorded;

  async function start(ingestionOverrides: Partial<IngestionCalls> = {}, featureStoreOverrides: Partial<FeatureStoreCalls> = {}) {
    recorded = { quarantineRequests: [], featureViewRequests: [] };
    kit = await ConsoleTestKit.start({
      registry: signInRegistry([TOKEN]),
      ingestion: ingestion(recorded, ingestionOverrides),
      featureStore: featureStore(recorded, featureStoreOverrides),
    });
    session = await kit.signIn(TOKEN);
  }

  async function page(path: string, expectedStatus = 200): Promise<string> {
    const res = await session.get(path);
    const body = await res.text();
    expect({ path, status: res.status }).toEqual({ path, status: expectedStatus });
    return body;
  }

  afterEach(() => kit?.close());

  describe('with every call allowed', () => {
    beforeEach(() => start());

    it('lists the datasets with their columns, latest version and total rows', async () => {
      const body = await page('/datasets');
      expect(tableRows(body, 'datasets')).toEqual([
        ['claims', 'claims-team', '4', 'v3', '150', 'flywheel.ingest.claims', '2026-01-01 00:00:00Z'],
        ['empty', '-', '4', '-', '0', 'flywheel.ingest.claims', '2026-01-01 00:00:00Z'],
      ]);
      expect(body).toContain('<a href="/datasets/claims">claims</a>');
    });

    it("shows the contract's columns, types, nullability and constraints, the unique key and size limits", async () => {
      const body = await page('/datasets/claims');
      expect(tableRows(body, 'contract')).toEqual([
        ['claim_id', 'string', 'no', '-', ''],
        ['amount', 'double', 'no', '0 ≤ value ≤ 100000', 'Claimed amount'],
        ['region', 'string', 'yes', 'one of north, south', ''],
        ['occurred_at', 'timestamp', 'no', '-', ''],
      ]);
      const rules = cellText(/<ul id="contract-rules">([\s\S]*?)<\/ul>/.exec(body)![1]);
      expect(rules).toContain('Unique key: claim_id');
      expect(rules).toContain('Event time: occurred_at');
      expect(rules).toContain('a record up to 1 MiB, a string value up to 2 KiB');
      expect(rules).toContain('every 500 records or 5 min');
    });

    it('lists the versions newest first with their counts, and charts rows and quarantined over commit time', async () => {
      const body = await page('/datasets/claims');
      const rows = tableRows(body, 'versions');
      expect(rows.map((r) => r.slice(0, 6))).toEqual([
        ['v3', '20', '150', '2', '-', '2026-01-03 12:00:00Z'],
        ['v2', '100', '130', '7', '2026-01-01 00:00:00Z – 2026-01-02 00:00:00Z', '2026-01-02 12:00:00Z'],
        ['v1', '30', '30', '0', '-', '2026-01-01 12:00:00Z'],
      ]);
      expect(rows[0][7]).toBe('333333333333');
      expect(body).toContain('href="/datasets/claims/versions/2"');
      const chart = /<figure id="versions-chart">([\s\S]*?)<\/figure>/.exec(body)![1];
      expect(chart).toMatch(/^<svg/);
      expect(chart).toContain('rows committed');
      expect(chart).toContain('quarantined');
      expect(chart).toMatch(/ecmeta_series_index="1"/);
    });

    it("profiles the latest version's columns: missing share, summaries and one histogram bar per bin", async () => {
      const body = await page('/datasets/claims');
      expect(body).toContain('Column profiles of <a href="/datasets/claims/versions/3">v3</a>');
      const rows = tableRows(body, 'profiles');
      expect(rows.map((r) => r.slice(0, 4))).toEqual([
        ['amount', 'double', '16', '20% (4)'],
        ['region', 'string', '20', '0% (0)'],
        ['occurred_at', 'timestamp', '20', '0% (0)'],
        [HOSTILE.replace(/</g, '&lt;').replace(/>/g, '&gt;'), 'integer', '19', '5% (1)'],
      ]);
      expect(rows[0][4]).toBe('mean 17.5 · std 9.25min 0 · max 50');
      expect(rows[1][4]).toContain('3 distinct');
      expect(rows[2][4]).toBe('mean 2026-01-02 00:00:00Z · std 2 hmin 2026-01-01 00:00:00Z · max 2026-01-03 00:00:00Z');
      const charts = rowMarkup(body, 'profiles').map((row) => /<svg[\s\S]*?<\/svg>/.exec(row)?.[0] ?? '');
      PROFILE.columns.forEach((c, i) => {
        if (c.numeric) {
          expect(charts[i]).toContain('width="260" height="140"');
          expect({ column: c.name, bars: barsIn(charts[i]) }).toEqual({ column: c.name, bars: c.numeric.histogramCounts.length });
        }
      });
      expect(barsIn(charts[1])).toBe(3);
    });

    it('shows the quarantine newest first with each field, violation in words and message, and pages on', async () => {
      const body = await page('/datasets/claims');
      const rows = tableRows(body, 'quarantine');
      expect(rows.map((r) => [r[0], r[1]])).toEqual([
        ['2026-01-03 10:00:00Z', 'amount: out of range — amount: 250000 is above max 100000'],
        ['2026-01-02 10:00:00Z', 'whole record: malformed — &lt;script&gt;alert(1)&lt;/script&gt; is not a JSON object'],
      ]);
      expect(rows[0][4]).toBe('waiting');
      expect(recorded.quarantineRequests).toEqual([{ dataset: 'claims', page: { pageSize: 50, pageToken: '' }, includeReplayed: false }]);
      expect(body).toContain('id="quarantine-older" href="/datasets/claims?quarantine-page=after-q1#quarantine"');
    });

    it("passes the quarantine's filter and page token from the address to the service", async () => {
      await page('/datasets/claims?replayed=1&quarantine-page=after-q1');
      expect(recorded.quarantineRequests).toEqual([
        { dataset: 'claims', page: { pageSize: 50, pageToken: 'after-q1' }, includeReplayed: true },
      ]);
    });

    it('lists only the feature views whose source is this dataset', async () => {
      const body = await page('/datasets/claims');
      expect(recorded.featureViewRequests).toEqual([{ dataset: 'claims', page: { pageSize: 200, pageToken: '' } }]);
      expect(tableRows(body, 'feature-views')).toEqual([
        ['claims_features', '2', 'claim_id', 'amount, log_amount', 'v3', '2026-01-02 00:00:00Z'],
      ]);
      expect(body).not.toContain('fraud_features');
    });

    it('escapes hostile text from the services everywhere, charts included', async () => {
      const body = await page('/datasets/claims');
      expect(body).not.toContain('<script');
      expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it("shows one version's details and its column profiles", async () => {
      const body = await page('/datasets/claims/versions/3');
      const details = Object.fromEntries(
        [...body.matchAll(/<tr>\s*<th>([^<]+)<\/th>\s*<td[^>]*>([\s\S]*?)<\/td>\s*<\/tr>/g)].map(([, k, v]) => [k, cellText(v)]),
      );
      expect(details).toMatchObject({
        rows: '20',
        'cumulative rows': '150',
        committed: '2026-01-03 12:00:00Z (max rows)',
        size: '2 KiB (application/vnd.apache.parquet)',
      });
      expect(details.sha256).toBe('3'.repeat(64));
      expect(tableRows(body, 'profiles').map((r) => r[0])).toEqual([
        'amount',
        'region',
        'occurred_at',
        '&lt;script&gt;alert(1)&lt;/script&gt;',
      ]);
      expect(body).not.toContain('<script');
    });

    it('shows the service’s NOT_FOUND message with 404 for a dataset or version that does not exist', async () => {
      expect(await page('/datasets/nope', 404)).toContain('Not found: dataset &quot;nope&quot; is not registered');
      expect(await page('/datasets/claims/versions/9', 404)).toContain('Not found: claims has no version 9');
    });
  });

  it('keeps the rest of the page, with a note, when the feature store refuses the role', async () => {
    await start(
      {},
      { listFeatureViews: async () => Promise.reject(grpcError(status.PERMISSION_DENIED, 'role reader-lite may not list feature views')) },
    );
    const body = await page('/datasets/claims');
    expect(body).toContain('Not shown: Permission denied: role reader-lite may not list feature views');
    expect(tableRows(body, 'contract')).toHaveLength(4);
    expect(tableRows(body, 'versions')).toHaveLength(3);
    expect(tableRows(body, 'quarantine')).toHaveLength(2);
    expect(body).not.toContain('id="feature-views"');
  });

  it('still fails the page when the token is no longer accepted by a secondary call', async () => {
    await start({ listQuarantine: async () => Promise.reject(grpcError(status.UNAUTHENTICATED, 'token revoked')) });
    expect(await page('/datasets/claims', 401)).toContain('token revoked');
  });

  it(`profiles at most ${MAX_PROFILED_COLUMNS} columns and says how many were left out`, async () => {
    const wide = Array.from({ length: MAX_PROFILED_COLUMNS + 5 }, (_, i) =>
      column({ name: `c${i}`, count: 1, numeric: numeric([0, 1], [1]) }),
    );
    await start({ getVersion: async () => ({ version: version({ version: 1, profile: { rowCount: 1, columns: wide } }) }) });
    const body = await page('/datasets/claims/versions/1');
    expect(tableRows(body, 'profiles')).toHaveLength(MAX_PROFILED_COLUMNS);
    expect(cellText(/<p class="muted" id="profiles-left-out">([\s\S]*?)<\/p>/.exec(body)![1])).toBe(
      `5 more columns are not profiled here (only the first ${MAX_PROFILED_COLUMNS}).`,
    );
  });
});
