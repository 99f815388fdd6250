import { commonV1, FeatureViewAppliedEvent, featureStoreV1, ingestionV1 } from '@flywheel/contracts';
import { type EventPublisher } from '@flywheel/messaging';
import { type TransactionRunner } from '@flywheel/persistence';
import { GrpcStatus, ManualClock } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { DatasetCatalogRepository, type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { IngestionDatasets } from '../datasets/ingestion-datasets';
import { FeatureStoreGrpcController } from '../api/feature-store.grpc-controller';
import { type Materialiser } from '../materialisation/materialiser.service';
import { type HistoricalFeaturesService } from '../serving/historical-features.service';
import { type OnlineFeaturesService } from '../serving/online-features.service';
import { type FeatureViewRevision } from './feature-view';
import { FeatureViewException } from './feature-view.exception';
import { FeatureViewRepository } from './feature-view.repository';
import { OnlineCache } from '../serving/online-cache';
import { FeatureViewsService } from './feature-views.service';

const { ColumnType } = commonV1;
const contract = ingestionV1.DataContract.fromPartial({
  columns: [
    { name: 'customer_id', type: ColumnType.COLUMN_TYPE_STRING },
    { name: 'event_time', type: ColumnType.COLUMN_TYPE_TIMESTAMP },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE },
  ],
  eventTimeColumn: 'event_time',
});

class MemoryViews extends FeatureViewRepository {
  rows: FeatureViewRevision[] = [];
  async lock(): Promise<void> {}
  async current(name: string): Promise<FeatureViewRevision | undefined> {
    return this.rows.filter((v) => v.name === name).sort((a, b) => b.revision - a.revision)[0];
  }
  async revision(name: string, revision: number): Promise<FeatureViewRevision | undefined> {
    return this.rows.find((v) => v.name === name && v.revision === revision);
  }
  async list(dataset: string | undefined, after: string | undefined, limit: number): Promise<FeatureViewRevision[]> {
    const names = [...new Set(this.rows.map((v) => v.name))].sort().filter((n) => after === undefined || n > after);
    const current = await Promise.all(names.map((n) => this.current(n)));
    return (current as FeatureViewRevision[]).filter((v) => dataset === undefined || v.dataset === dataset).slice(0, limit);
  }
  async currentForDataset(): Promise<FeatureViewRevision[]> {
    return [];
  }
  async insert(_m: EntityManager, view: FeatureViewRevision): Promise<void> {
    this.rows.push(view);
  }
  async markMaterialised(): Promise<void> {}
}

class MemoryCatalog extends DatasetCatalogRepository {
  datasets = new Map<string, ingestionV1.DataContract>();
  async upsertDataset(_m: EntityManager, name: string, c: ingestionV1.DataContract): Promise<void> {
    this.datasets.set(name, c);
  }
  async findDataset(name: string): Promise<ingestionV1.DataContract | undefined> {
    return this.datasets.get(name);
  }
  async recordVersion(): Promise<boolean> {
    return true;
  }
  async listVersions(): Promise<DatasetVersionRecord[]> {
    return [];
  }
}

class RemoteDatasets extends IngestionDatasets {
  asked: string[] = [];
  constructor(private readonly known: Record<string, ingestionV1.DataContract>) {
    super();
  }
  async findContract(dataset: string): Promise<ingestionV1.DataContract | undefined> {
    this.asked.push(dataset);
    return this.known[dataset];
  }
}

function setup(remote: Record<string, ingestionV1.DataContract> = {}) {
  const views = new MemoryViews();
  const catalog = new MemoryCatalog();
  const ingestion = new RemoteDatasets(remote);
  const backfills: string[] = [];
  const materialiser = { scheduleBackfill: async (name: string) => void backfills.push(name) } as unknown as Materialiser;
  const published: Array<{ type: string; data: featureStoreV1.FeatureViewApplied }> = [];
  const publisher = {
    publish: async (_m: EntityManager, type: { typeName: string }, data: featureStoreV1.FeatureViewApplied) =>
      published.push({ type: type.typeName, data }),
  } as unknown as EventPublisher;
  const transactions = { run: <T>(work: (m: EntityManager) => Promise<T>) => work({} as EntityManager) } as unknown as TransactionRunner;
  const service = new FeatureViewsService(
    views,
    catalog,
    ingestion,
    materialiser,
    publisher,
    transactions,
    new ManualClock('2025-06-01T00:00:00Z'),
    new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 100 }),
  );
  // Through the controller: the requests and responses on the wire are what these tests check.
  const controller = new FeatureStoreGrpcController(service, {} as OnlineFeaturesService, {} as HistoricalFeaturesService);
  return { controller, catalog, ingestion, backfills, published };
}

const request = (expression = 'log1p(amount)') =>
  featureStoreV1.ApplyFeatureViewRequest.fromPartial({
    name: 'claim-features',
    dataset: 'claims',
    entityKey: 'customer_id',
    eventTimeColumn: 'event_time',
    features: [{ name: 'f', expression }],
  });

describe('applying feature views', () => {
  it('creates revision 1, leaves an identical definition alone and makes revision 2 of a changed one', async () => {
    const { controller, catalog, backfills, published } = setup();
    await catalog.upsertDataset({} as EntityManager, 'claims', contract);
    expect(await controller.applyFeatureView(request())).toMatchObject({
      changed: true,
      featureView: { revision: 1, applyTime: new Date('2025-06-01T00:00:00Z') },
    });
    expect(await controller.applyFeatureView(request())).toMatchObject({ changed: false, featureView: { revision: 1 } });
    expect(await controller.applyFeatureView(request('abs(amount)'))).toMatchObject({ changed: true, featureView: { revision: 2 } });
    expect(backfills).toEqual(['claim-features', 'claim-features']);
    expect(published.map((p) => [p.type, p.data.featureView?.revision])).toEqual([
      [FeatureViewAppliedEvent.typeName, 1],
      [FeatureViewAppliedEvent.typeName, 2],
    ]);
    expect((await controller.getFeatureView({ name: 'claim-features', revision: 1 })).featureView?.features[0].expression).toBe(
      'log1p(amount)',
    );
  });

  it('asks ingestion for a dataset it has not heard of, and refuses one nobody knows', async () => {
    const { controller, catalog, ingestion } = setup({ claims: contract });
    expect((await controller.applyFeatureView(request())).changed).toBe(true);
    expect(ingestion.asked).toEqual(['claims']);
    expect(catalog.datasets.get('claims')).toEqual(contract);

    const refused = await controller.applyFeatureView({ ...request(), dataset: 'payments' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FeatureViewException);
    expect((refused as FeatureViewException).grpcStatus()).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect((refused as FeatureViewException).message).toBe('dataset "payments" is not registered');
  });

  it('pages through views by name', async () => {
    const { controller, catalog } = setup();
    await catalog.upsertDataset({} as EntityManager, 'claims', contract);
    for (const name of ['c', 'a', 'b']) await controller.applyFeatureView({ ...request(), name });
    const first = await controller.listFeatureViews({ dataset: '', page: { pageSize: 2, pageToken: '' } });
    expect(first.featureViews.map((v) => v.name)).toEqual(['a', 'b']);
    const second = await controller.listFeatureViews({ dataset: '', page: { pageSize: 2, pageToken: first.page!.nextPageToken } });
    expect(second).toMatchObject({ featureViews: [{ name: 'c' }], page: { nextPageToken: '' } });
    await expect(controller.listFeatureViews({ dataset: '', page: { pageSize: 2, pageToken: 'forged' } })).rejects.toThrow(
      'page.page_token: is not a token from a previous page of this list',
    );
  });
});
