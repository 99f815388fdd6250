import { Inject, Injectable } from '@nestjs/common';
import { FeatureViewAppliedEvent, type featureStoreV1, type ingestionV1 } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { Clock, currentCaller, type Page, pageOf, type PageResponseLike } from '@flywheel/platform';
import { TransactionRunner } from '@flywheel/persistence';
import { DatasetCatalogRepository } from '../datasets/dataset-catalog.repository';
import { IngestionDatasets } from '../datasets/ingestion-datasets';
import { Materialiser } from '../materialisation/materialiser.service';
import { OnlineCache } from '../serving/online-cache';
import { datasetSchemaOf, definitionHash, type FeatureViewDraft, type FeatureViewRevision, validateFeatureView } from './feature-view';
import { FeatureViewException, FeatureViewExceptionCode, featureViewNotFound } from './feature-view.exception';
import { toProtoFeatureView } from './feature-view.mapper';
import { FeatureViewRepository } from './feature-view.repository';

/** What an apply did: the current revision, and whether this call created it. */
export interface AppliedFeatureView {
  readonly view: FeatureViewRevision;
  readonly changed: boolean;
}

export interface FeatureViewPage {
  readonly views: FeatureViewRevision[];
  readonly page: PageResponseLike;
}

@Injectable()
export class FeatureViewsService {
  constructor(
    @Inject(FeatureViewRepository) private readonly views: FeatureViewRepository,
    @Inject(DatasetCatalogRepository) private readonly catalog: DatasetCatalogRepository,
    @Inject(IngestionDatasets) private readonly ingestion: IngestionDatasets,
    @Inject(Materialiser) private readonly materialiser: Materialiser,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(OnlineCache) private readonly onlineCache: OnlineCache,
  ) {}

  /**
   * Creates the view or a new revision when its definition changed; an identical definition
   * changes nothing. A new revision is then backfilled from the dataset versions already known.
   */
  async apply(draft: FeatureViewDraft): Promise<AppliedFeatureView> {
    const contract = await this.datasetContract(draft.dataset);
    const definition = validateFeatureView(draft, datasetSchemaOf(draft.dataset, contract));
    const hash = definitionHash(definition);
    const caller = currentCaller();
    const applied = await this.transactions.run(async (manager): Promise<AppliedFeatureView> => {
      await this.views.lock(manager, definition.name);
      const current = await this.views.current(definition.name, manager);
      if (current && current.definitionHash === hash) return { view: current, changed: false };
      const next: FeatureViewRevision = {
        ...definition,
        revision: (current?.revision ?? 0) + 1,
        definitionHash: hash,
        applyTime: this.clock.now(),
        materialisedDatasetVersion: 0,
      };
      await this.views.insert(manager, next, { team: caller?.team ?? '', tokenId: caller?.tokenId ?? '' });
      await this.publisher.publish(
        manager,
        FeatureViewAppliedEvent,
        { featureView: toProtoFeatureView(next), actor: { team: caller?.team ?? '', tokenId: caller?.tokenId ?? '', service: '' } },
        { key: next.name, causationId: null },
      );
      return { view: next, changed: true };
    });
    if (applied.changed) {
      // This process's next read sees the new revision at once; others learn it from the event.
      this.onlineCache.invalidate(applied.view.name);
      void this.materialiser.scheduleBackfill(applied.view.name);
    }
    return applied;
  }

  /** Current revisions by name, over one dataset or all. */
  async list(dataset: string | undefined, page: Page<string>): Promise<FeatureViewPage> {
    const views = await this.views.list(dataset, page.after, page.size + 1);
    const listed = pageOf(views, page, (last) => last.name);
    return { views: listed.items, page: listed.page };
  }

  /** A revision (0: the current one), or NOT_FOUND. */
  async require(name: string, revision = 0): Promise<FeatureViewRevision> {
    const view = revision > 0 ? await this.views.revision(name, revision) : await this.views.current(name);
    if (!view) throw featureViewNotFound(name, revision);
    return view;
  }

  /** The columns of a dataset's contract as this service knows it (applying a view over it records it). */
  async sourceColumns(dataset: string): Promise<featureStoreV1.SourceColumn[]> {
    const contract = await this.catalog.findDataset(dataset);
    return (contract?.columns ?? []).map(({ name, type }) => ({ name, type }));
  }

  private async datasetContract(dataset: string): Promise<ingestionV1.DataContract> {
    const known = await this.catalog.findDataset(dataset);
    if (known) return known;
    const remote = await this.ingestion.findContract(dataset);
    if (!remote) {
      throw new FeatureViewException(`dataset "${dataset}" is not registered`, FeatureViewExceptionCode.DATASET_NOT_REGISTERED, {
        dataset,
      });
    }
    await this.transactions.run((manager) => this.catalog.upsertDataset(manager, dataset, remote));
    return remote;
  }
}
