import { commonV1, FeaturesMaterialisedEvent, ingestionV1 } from '@flywheel/contracts';
import { type EventPublisher } from '@flywheel/messaging';
import { type TransactionRunner } from '@flywheel/persistence';
import { JsonLogger, ManualClock } from '@flywheel/platform';
import { type ObjectStore } from '@flywheel/storage';
import { type EntityManager } from 'typeorm';
import { DatasetCatalogRepository, type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { type Cell } from '../feature-views/feature-values';
import { type FeatureViewRevision } from '../feature-views/feature-view';
import { type AppliedBy, FeatureViewRepository } from '../feature-views/feature-view.repository';
import { compareRecords, type DatasetHistory, type FeatureHistory, type FeatureRecord } from '../serving/point-in-time';
import { datasetHistoryOf, historyOf, inDatasetRange } from '../testing/feature-history';
import { DatasetReader, type DatasetRecords } from './dataset-reader';
import { type DatasetRange, FeatureStoresRepository, type MaterialisationStats, type OnlineRecord } from './feature-stores.repository';
import { InvalidVersionEvent, Materialiser } from './materialiser.service';

const { ColumnType } = commonV1;
const manager = {} as EntityManager;

const contract = ingestionV1.DataContract.fromPartial({
  columns: [
    { name: 'customer_id', type: ColumnType.COLUMN_TYPE_STRING },
    { name: 'event_time', type: ColumnType.COLUMN_TYPE_TIMESTAMP },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE },
  ],
  eventTimeColumn: 'event_time',
});

const view: FeatureViewRevision = {
  name: 'claim-features',
  dataset: 'claims',
  entityKey: 'customer_id',
  eventTimeColumn: 'event_time',
  features: [{ name: 'double_amount', source: { expression: '2 * amount' }, type: ColumnType.COLUMN_TYPE_DOUBLE, description: '' }],
  onlineTtlMs: null,
  description: '',
  revision: 1,
  definitionHash: 'h',
  applyTime: new Date(0),
  materialisedDatasetVersion: 0,
};

class MemoryViews extends FeatureViewRepository {
  views = [view];
  marked: number[] = [];
  async lock(): Promise<void> {}
  async current(name: string): Promise<FeatureViewRevision | undefined> {
    return this.views.find((v) => v.name === name);
  }
  async revision(): Promise<FeatureViewRevision | undefined> {
    return undefined;
  }
  async list(): Promise<FeatureViewRevision[]> {
    return this.views;
  }
  async currentForDataset(dataset: string): Promise<FeatureViewRevision[]> {
    return this.views.filter((v) => v.dataset === dataset);
  }
  async insert(_m: EntityManager, v: FeatureViewRevision, _by: AppliedBy): Promise<void> {
    this.views.push(v);
  }
  async markMaterialised(_m: EntityManager, _n: string, _r: number, version: number): Promise<void> {
    this.marked.push(version);
  }
}

class MemoryCatalog extends DatasetCatalogRepository {
  versions: DatasetVersionRecord[] = [];
  async upsertDataset(): Promise<void> {}
  async findDataset(): Promise<ingestionV1.DataContract | undefined> {
    return contract;
  }
  async recordVersion(_m: EntityManager, record: DatasetVersionRecord): Promise<boolean> {
    if (this.versions.some((v) => v.version === record.version)) return false;
    this.versions.push(record);
    return true;
  }
  async listVersions(): Promise<DatasetVersionRecord[]> {
    return this.versions;
  }
}

class MemoryStores extends FeatureStoresRepository {
  claims = new Set<string>();
  offline: FeatureRecord[] = [];
  online = new Map<string, FeatureRecord>();
  stats: MaterialisationStats[] = [];
  async claim(_m: EntityManager, v: string, r: number, d: number): Promise<boolean> {
    const key = `${v}/${r}/${d}`;
    if (this.claims.has(key)) return false;
    this.claims.add(key);
    return true;
  }
  async complete(_m: EntityManager, _v: string, _r: number, _d: number, stats: MaterialisationStats): Promise<void> {
    this.stats.push(stats);
  }
  async materialisedVersions(): Promise<number[]> {
    return [...this.claims].map((k) => Number(k.split('/')[2]));
  }
  async appendOffline(_m: EntityManager, _v: string, _r: number, records: readonly FeatureRecord[]): Promise<void> {
    this.offline.push(...records);
  }
  async upsertOnline(_m: EntityManager, _v: string, _r: number, records: readonly FeatureRecord[]): Promise<void> {
    for (const record of records) {
      const current = this.online.get(record.entityKey);
      if (!current || compareRecords(current, record) < 0) this.online.set(record.entityKey, record);
    }
  }
  async readOnline(): Promise<Map<string, OnlineRecord>> {
    return new Map(this.online);
  }
  async readHistory(_v: string, _r: number, _b: ReadonlyMap<string, number>, features: readonly string[]): Promise<FeatureHistory> {
    return historyOf(this.offline, features);
  }
  async countDatasetRecords(_v: string, _r: number, range: DatasetRange): Promise<number> {
    return this.offline.filter((r) => inDatasetRange(r, range)).length;
  }
  async readDatasetHistory(_v: string, _r: number, range: DatasetRange, features: readonly string[]): Promise<DatasetHistory> {
    return datasetHistoryOf(this.offline, range, features);
  }
}

class TableReader extends DatasetReader {
  constructor(private readonly tables: Record<number, Array<Record<string, Cell>>>) {
    super();
  }
  async read(version: DatasetVersionRecord): Promise<DatasetRecords> {
    const rows = this.tables[version.version];
    return { rowCount: rows.length, columns: Object.keys(rows[0] ?? {}), cell: (row, column) => rows[row][column] ?? null };
  }
}

function committed(version: number): ingestionV1.DatasetVersionCommitted {
  return ingestionV1.DatasetVersionCommitted.fromPartial({
    dataset: 'claims',
    version: {
      dataset: 'claims',
      version,
      rowCount: 3,
      object: { key: `datasets/claims/v${version}/data.csv`, sha256: 'a'.repeat(64), contentType: 'text/csv' },
    },
    contract,
  });
}

const t = (iso: string) => new Date(iso);

function setup() {
  const views = new MemoryViews();
  const catalog = new MemoryCatalog();
  const stores = new MemoryStores();
  const reader = new TableReader({
    1: [
      { customer_id: 'alice', event_time: t('2025-01-01T10:00:00Z'), amount: 1 },
      { customer_id: 'alice', event_time: t('2025-01-01T12:00:00Z'), amount: 2 },
      { customer_id: null, event_time: t('2025-01-01T12:00:00Z'), amount: 3 },
    ],
    2: [
      { customer_id: 'alice', event_time: t('2025-01-01T11:00:00Z'), amount: 100 },
      { customer_id: 'bob', event_time: null, amount: 5 },
      { customer_id: 'bob', event_time: t('2025-01-01T09:00:00Z'), amount: null },
    ],
  });
  const puts: string[] = [];
  const objects = {
    put: async (key: string) => (puts.push(key), { key, sha256: 'b'.repeat(64), size: 10, etag: 'e' }),
  } as unknown as ObjectStore;
  const published: Array<{ type: string; data: unknown; options: unknown }> = [];
  const publisher = {
    publish: async (_m: EntityManager, type: { typeName: string }, data: unknown, options: unknown) =>
      published.push({ type: type.typeName, data, options }),
  } as unknown as EventPublisher;
  const transactions = { run: <T>(work: (m: EntityManager) => Promise<T>) => work(manager) } as unknown as TransactionRunner;
  const logger = new JsonLogger({ service: 'feature-store', level: 'fatal', write: () => undefined });
  const materialiser = new Materialiser(
    views,
    catalog,
    stores,
    reader,
    objects,
    publisher,
    transactions,
    new ManualClock('2025-06-01T00:00:00Z'),
    logger,
  );
  return { materialiser, views, catalog, stores, published, puts };
}

describe('materialiser', () => {
  it('materialises a version into both stores and announces it once, however often the event comes', async () => {
    const { materialiser, stores, published, puts, views } = setup();
    expect(await materialiser.onVersionCommitted(manager, 'event-1', committed(1))).toBe(1);
    expect(await materialiser.onVersionCommitted(manager, 'event-1', committed(1))).toBe(0);
    expect(await materialiser.onVersionCommitted(manager, 'event-2', committed(1))).toBe(0);

    expect(stores.offline.map((r) => r.values)).toEqual([{ double_amount: 2 }, { double_amount: 4 }]);
    expect(stores.stats).toEqual([
      expect.objectContaining({
        rowCount: 2,
        entityCount: 1,
        skippedRows: 1,
        eventTimeStart: t('2025-01-01T10:00:00Z'),
        eventTimeEnd: t('2025-01-01T12:00:00Z'),
      }),
    ]);
    expect(puts).toEqual(['features/claim-features/r1-v1/features.csv']);
    expect(views.marked).toEqual([1]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: FeaturesMaterialisedEvent.typeName,
      data: {
        featureView: 'claim-features',
        featureViewRevision: 1,
        datasetVersion: 1,
        rowCount: 2,
        entityCount: 1,
        eventTimeRange: { start: t('2025-01-01T10:00:00Z'), end: t('2025-01-01T12:00:00.001Z') },
      },
      options: { key: 'claim-features' },
    });
  });

  it('keeps the newer online value when a later version brings an older record, and nulls for missing inputs', async () => {
    const { materialiser, stores } = setup();
    await materialiser.onVersionCommitted(manager, 'event-1', committed(1));
    await materialiser.onVersionCommitted(manager, 'event-2', committed(2));
    expect(stores.online.get('alice')).toMatchObject({ eventTime: t('2025-01-01T12:00:00Z'), values: { double_amount: 4 } });
    expect(stores.online.get('bob')).toMatchObject({ values: { double_amount: null } });
    expect(stores.offline).toHaveLength(4);
  });

  it('backfills the versions a new revision has not seen, naming each version event as the cause', async () => {
    const { materialiser, catalog, stores, published } = setup();
    await materialiser.onVersionCommitted(manager, 'event-1', committed(1));
    await catalog.recordVersion(manager, { ...(await catalog.listVersions())[0], version: 2, eventId: 'event-2' });
    expect(await materialiser.backfill('claim-features')).toBe(1);
    expect(await materialiser.backfill('claim-features')).toBe(0);
    expect([...stores.claims]).toEqual(['claim-features/1/1', 'claim-features/1/2']);
    expect(published.map((p) => p.options)).toEqual([{ key: 'claim-features' }, { key: 'claim-features', causationId: 'event-2' }]);
  });

  it('rejects an event that announces no readable version', async () => {
    const { materialiser } = setup();
    const broken = ingestionV1.DatasetVersionCommitted.fromPartial({ dataset: 'claims', version: { version: 0 }, contract });
    await expect(materialiser.onVersionCommitted(manager, 'event-x', broken)).rejects.toThrow(InvalidVersionEvent);
    await expect(materialiser.onVersionCommitted(manager, 'event-x', broken)).rejects.toThrow(
      'version.version must be at least 1; version.object.key is empty; version.object.sha256 is empty',
    );
  });
});
