import { createDataSourceOptions, openDataSource } from '@flywheel/persistence';
import { startTestPostgres, type TestPostgres } from '@flywheel/testing';
import { type DataSource } from 'typeorm';
import { FEATURE_STORE_ENTITIES } from '../app.module';
import { type StoredValues } from '../feature-views/feature-values';
import { FEATURE_STORE_MIGRATIONS } from '../migrations/1770200000000-create-feature-store';
import { type DatasetHistory, type FeatureHistory, type FeatureRecord, HistoryTooLargeError } from '../serving/point-in-time';
import { datasetHistoryOf, historyOf } from '../testing/feature-history';
import { type DatasetRange, TypeOrmFeatureStoresRepository } from './feature-stores.repository';

const VIEW = 'claims-features';
const FEATURES = ['amount', 'channel', 'flagged', 'missing_everywhere'];
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
/** A record limit no read here reaches. */
const NO_LIMIT = 1_000_000;

/** A repository that reads a dataset in two parts of a few records a page, so a small store takes many pages. */
class SmallPages extends TypeOrmFeatureStoresRepository {
  protected override readonly pageRecords = 7;
  protected override readonly partMinRecords = 5;
}

/** Each version of a range holding `rows` rows, as the dataset catalog tells the reader. */
function versionSizes(range: DatasetRange, rows = 30): Map<number, number> {
  return new Map(
    Array.from({ length: range.versionTo - range.versionFrom + 1 }, (_, i): [number, number] => [range.versionFrom + i, rows]),
  );
}

/** A small random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * 4 versions of records over 12 entities and 10 event times, so the same entity and time recur
 * across versions; values of every stored kind, some missing.
 */
function storedRecords(): FeatureRecord[] {
  const next = random(7);
  const records: FeatureRecord[] = [];
  for (let version = 1; version <= 4; version++) {
    for (let row = 0; row < 30; row++) {
      const values: StoredValues = {};
      if (next() < 0.9) values.amount = Math.round(next() * 1e6) / 100;
      if (next() < 0.8) values.channel = ['web', 'phone', 'agent, "quoted"'][Math.floor(next() * 3)];
      if (next() < 0.7) values.flagged = next() < 0.5;
      records.push({
        entityKey: `customer-${Math.floor(next() * 12)}`,
        eventTime: new Date(T0 + Math.floor(next() * 10) * HOUR),
        datasetVersion: version,
        rowIndex: row,
        values,
      });
    }
  }
  return records;
}

/** A history's records as comparable rows, each with its features; sorted when their order is not part of the answer. */
function rowsOf(history: FeatureHistory, from = 0, to = history.entityKeys.length, sorted = false) {
  const rows = [];
  for (let i = from; i < to; i++) {
    rows.push({
      entityKey: history.entityKeys[i],
      eventTime: history.eventTimes[i],
      datasetVersion: history.datasetVersions[i],
      rowIndex: history.rowIndexes[i],
      features: FEATURES.map((f) => history.features.get(f)![i]),
    });
  }
  return sorted ? rows.sort((a, b) => a.datasetVersion - b.datasetVersion || a.rowIndex - b.rowIndex) : rows;
}

/** The spine part in its order, the rest as a set. */
function expectSameDatasetHistory(actual: DatasetHistory, expected: DatasetHistory) {
  expect(actual.spineSize).toBe(expected.spineSize);
  expect(rowsOf(actual.history, 0, actual.spineSize)).toEqual(rowsOf(expected.history, 0, expected.spineSize));
  expect(rowsOf(actual.history, actual.spineSize, undefined, true)).toEqual(rowsOf(expected.history, expected.spineSize, undefined, true));
}

describe('offline store reads (PostgreSQL)', () => {
  let pg: TestPostgres;
  let dataSource: DataSource;
  const records = storedRecords();

  beforeAll(async () => {
    pg = await startTestPostgres();
    const url = await pg.createDatabase();
    dataSource = await openDataSource(
      createDataSourceOptions({
        url,
        entities: FEATURE_STORE_ENTITIES,
        migrations: FEATURE_STORE_MIGRATIONS,
        applicationName: 'feature-store-test',
      }),
    );
    const repository = new TypeOrmFeatureStoresRepository(dataSource);
    // Stored out of order, as versions materialised by turns would be.
    await dataSource.transaction((manager) => repository.appendOffline(manager, VIEW, 1, [...records].reverse()));
    // Another revision's records are never read.
    await dataSource.transaction((manager) => repository.appendOffline(manager, VIEW, 2, records.slice(0, 5)));
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await pg?.stop();
  });

  const ranges: Array<[string, DatasetRange]> = [
    ['every version, no window', { versionFrom: 1, versionTo: 4, start: null, end: null }],
    ['the middle versions', { versionFrom: 2, versionTo: 3, start: null, end: null }],
    ['one version in a window', { versionFrom: 3, versionTo: 3, start: T0 + 2 * HOUR, end: T0 + 7 * HOUR + 1 }],
    ['every version before a time', { versionFrom: 1, versionTo: 4, start: null, end: T0 + 5 * HOUR }],
    ['every version after a time', { versionFrom: 1, versionTo: 4, start: T0 + 4 * HOUR, end: null }],
    ['versions that hold nothing', { versionFrom: 9, versionTo: 12, start: null, end: null }],
  ];

  it.each(ranges)('reads a dataset spine and its history as the plain definition does: %s', async (_name, range) => {
    const expected = datasetHistoryOf(records, range, FEATURES);
    const count = await new TypeOrmFeatureStoresRepository(dataSource).countDatasetRecords(VIEW, 1, range);
    expect(count).toBe(expected.spineSize);
    for (const repository of [new TypeOrmFeatureStoresRepository(dataSource), new SmallPages(dataSource)]) {
      expectSameDatasetHistory(await repository.readDatasetHistory(VIEW, 1, range, FEATURES, versionSizes(range), NO_LIMIT), expected);
    }
  });

  it('reads every record once whatever sizes the versions are said to have: they only place the parts', async () => {
    const range = { versionFrom: 1, versionTo: 4, start: null, end: null };
    const expected = datasetHistoryOf(records, range, FEATURES);
    // Uneven with a cut inside version 2; versions left out; a version outside the range; too few everywhere.
    const told: Array<Array<[number, number]>> = [
      [
        [1, 0],
        [2, 500],
        [3, 1],
        [4, 7],
      ],
      [
        [1, 30],
        [2, 30],
      ],
      [
        [4, 100],
        [9, 100],
      ],
      [...versionSizes(range, 1)],
    ];
    for (const sizes of told) {
      const history = await new SmallPages(dataSource).readDatasetHistory(VIEW, 1, range, FEATURES, new Map(sizes), NO_LIMIT);
      expectSameDatasetHistory(history, expected);
    }
  });

  it('reads the history of given entities up to each one’s bound', async () => {
    const bounds = new Map([
      ['customer-1', T0 + 3 * HOUR],
      ['customer-4', T0 + 9 * HOUR],
      ['customer-7', T0 - HOUR],
      ['nobody', T0 + 9 * HOUR],
    ]);
    const expected = historyOf(
      records.filter((r) => bounds.has(r.entityKey) && r.eventTime.getTime() <= bounds.get(r.entityKey)!),
      FEATURES,
    );
    const actual = await new TypeOrmFeatureStoresRepository(dataSource).readHistory(VIEW, 1, bounds, FEATURES, NO_LIMIT);
    expect(rowsOf(actual, 0, undefined, true)).toEqual(rowsOf(expected, 0, undefined, true));
    expect(actual.entityKeys.length).toBeGreaterThan(0);
  });

  it('reads entities whose records outgrow a page: the group halved, one entity paged by time', async () => {
    // Every entity, each with more records than a small page holds.
    const bounds = new Map(Array.from({ length: 12 }, (_, k): [string, number] => [`customer-${k}`, T0 + (3 + (k % 7)) * HOUR]));
    const within = records.filter((r) => bounds.has(r.entityKey) && r.eventTime.getTime() <= bounds.get(r.entityKey)!);
    const perEntity = Math.max(...[...bounds.keys()].map((e) => within.filter((r) => r.entityKey === e).length));
    expect(perEntity).toBeGreaterThan(7);
    const actual = await new SmallPages(dataSource).readHistory(VIEW, 1, bounds, FEATURES, NO_LIMIT);
    expect(rowsOf(actual, 0, undefined, true)).toEqual(rowsOf(historyOf(within, FEATURES), 0, undefined, true));
  });

  it('pages an entity by time without losing a microsecond at a page boundary', async () => {
    // 40 records of one entity a microsecond or less apart, several at the same instant: pages of
    // 7 end between instants that share their millisecond, and inside runs of one instant.
    const view = 'microsecond-pages';
    await dataSource.query(
      `INSERT INTO offline_features (feature_view, revision, dataset_version, row_index, entity_key, event_time, "values")
       SELECT $1, 1, 1 + i % 3, i, 'one', timestamptz '2026-11-01T00:00:00Z' + ((i / 3) || ' microseconds')::interval, jsonb_build_object('i', i)
       FROM generate_series(0, 39) AS i`,
      [view],
    );
    const history = await new SmallPages(dataSource).readHistory(view, 1, new Map([['one', Date.UTC(2026, 10, 2)]]), ['i'], NO_LIMIT);
    expect([...history.features.get('i')!].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('refuses a read past its record limit, the spine and its entities’ history counted alike', async () => {
    const every = { versionFrom: 1, versionTo: 4, start: null, end: null };
    const middle = { versionFrom: 2, versionTo: 3, start: null, end: null };
    const all = new Map(Array.from({ length: 12 }, (_, k): [string, number] => [`customer-${k}`, T0 + 10 * HOUR]));
    for (const repository of [new TypeOrmFeatureStoresRepository(dataSource), new SmallPages(dataSource)]) {
      // Exactly at the limit is read; one record fewer allowed is refused.
      const { history } = await repository.readDatasetHistory(VIEW, 1, middle, FEATURES, versionSizes(middle), NO_LIMIT);
      const size = history.entityKeys.length;
      expect(size).toBeGreaterThan(60);
      await expect(repository.readDatasetHistory(VIEW, 1, middle, FEATURES, versionSizes(middle), size)).resolves.toBeDefined();
      // Past the spine, in the other records of its entities.
      await expect(repository.readDatasetHistory(VIEW, 1, middle, FEATURES, versionSizes(middle), size - 1)).rejects.toThrow(
        HistoryTooLargeError,
      );
      // Within the spine.
      await expect(repository.readDatasetHistory(VIEW, 1, every, FEATURES, versionSizes(every), 119)).rejects.toThrow(
        'the training set reads more than 119 offline records',
      );
      await expect(repository.readHistory(VIEW, 1, all, FEATURES, 120)).resolves.toBeDefined();
      await expect(repository.readHistory(VIEW, 1, all, FEATURES, 119)).rejects.toThrow(HistoryTooLargeError);
    }
  });

  it('reads event times as the exact milliseconds of their microseconds, in and beyond the years 1902 to 2038', async () => {
    // Microsecond instants, which a Date cannot hold: random ones within 2^31 seconds of 1970 and
    // beyond, and the edges.
    const next = random(11);
    const second = 1_000_000;
    // As text: the last, 9999-12-31T23:59:59.999999Z, is past a double's whole numbers.
    const micros = ['0', '1', '-1', '2147483647000000', '2147483648000000', '-2147483648000001', '253402300799999999'];
    const instant = (seconds: number) => Math.floor((next() * 2 - 1) * seconds) * second + Math.floor(next() * second);
    for (let i = 0; i < 400; i++) micros.push(String(instant(2 ** 31)));
    for (let i = 0; i < 50; i++) micros.push(String(instant(2 ** 34)));
    const view = 'microsecond-times';
    await dataSource.query(
      `INSERT INTO offline_features (feature_view, revision, dataset_version, row_index, entity_key, event_time, "values")
       SELECT $1, 1, 1, i, 'e' || i, timestamptz 'epoch' + (u || ' microseconds')::interval, '{}'::jsonb
       FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i)`,
      [view, micros],
    );
    const rows: Array<{ exact: string }> = await dataSource.query(
      `SELECT (extract(epoch FROM event_time) * 1000)::text AS exact FROM offline_features WHERE feature_view = $1 ORDER BY row_index`,
      [view],
    );
    const range = { versionFrom: 1, versionTo: 1, start: null, end: null };
    const repository = new TypeOrmFeatureStoresRepository(dataSource);
    const { history } = await repository.readDatasetHistory(view, 1, range, [], versionSizes(range, rows.length), NO_LIMIT);
    expect(Array.from(history.eventTimes)).toEqual(rows.map((r) => Number(r.exact)));
  });
});
