import { Inject, Injectable } from '@nestjs/common';
import { FeatureViewAppliedEvent, type featureStoreV1, type ingestionV1 } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { Clock, currentCaller, invalidArgument, isStringCursor, pageOf, readPage } from '@flywheel/platform';
import { TransactionRunner } from '@flywheel/persistence';
import { DatasetCatalogRepository } from '../datasets/dataset-catalog.repository';
import { IngestionDatasets } from '../datasets/ingestion-datasets';
import { Materialiser } from '../materialisation/materialiser.service';
import {
  datasetSchemaOf,
  definitionHash,
  type FeatureViewRevision,
  parseApplyRequest,
  toProtoFeatureView,
  validateFeatureView,
  VIEW_NAME_PATTERN,
} from './feature-view';
import { FeatureViewException, FeatureViewExceptionCode, featureViewNotFound } from './feature-view.exception';
import { FeatureViewRepository } from './feature-view.repository';


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
  ) {}

  /**
   * Creates the view or a new revision when its definition changed; an identical definition
   * changes nothing. A new revision is then backfilled from the dataset versions already known.
   */
  async apply(request: featureStoreV1.ApplyFeatureViewRequest): Promise<featureStoreV1.ApplyFeatureViewResponse> {
    const { dataset } = parseApplyRequest(request);
    const contract = await this.datasetContract(dataset);
    const definition = validateFeatureView(request, datasetSchemaOf(dataset, contract));
    const hash = definitionHash(definition);
    const caller = currentCaller();
    const { view, changed } = await this.transactions.run(async (manager) => {
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
    if (changed) void this.materialiser.scheduleBackfill(view.name);
    return { featureView: toProtoFeatureView(view), changed };
  }

  async get(request: featureStoreV1.GetFeatureViewRequest): Promise<featureStoreV1.GetFeatureViewResponse> {
    return { featureView: toProtoFeatureView(await this.require(request.name, request.revision)) };
  }

  async list(request: featureStoreV1.ListFeatureViewsRequest): Promise<featureStoreV1.ListFeatureViewsResponse> {
    const page = readPage(request.page, isStringCursor);
    const views = await this.views.list(request.dataset || null, page.after ?? null, page.size + 1);
    const listed = pageOf(views, page, (last) => last.name);
    return { featureViews: listed.items.map(toProtoFeatureView), page: listed.page };
  }

  /** A revision (0: the current one), or NOT_FOUND. */
  async require(name: string, revision = 0, fields = { name: 'name', revision: 'revision' }): Promise<FeatureViewRevision> {
    if (!VIEW_NAME_PATTERN.test(name ?? '')) throw invalidArgument(fields.name, 'must match [a-z][a-z0-9_-]{0,62}');
    if (!Number.isInteger(revision) || revision < 0) throw invalidArgument(fields.revision, 'must be 0 (current) or a revision number');
    const view = revision > 0 ? await this.views.revision(name, revision) : await this.views.current(name);
    if (!view) throw featureViewNotFound(name, revision);
    return view;
  }

  private async datasetContract(dataset: string): Promise<ingestionV1.DataContract> {
    const known = await this.catalog.findDataset(dataset);
    if (known) return known;
    const remote = await this.ingestion.findContract(dataset);
    if (!remote) {
      throw new FeatureViewException(`dataset "${dataset}" is not registered`, FeatureViewExceptionCode.DATASET_NOT_REGISTERED, { dataset });
    }
    await this.transactions.run((manager) => this.catalog.upsertDataset(manager, dataset, remote));
    return remote;
  }
}
