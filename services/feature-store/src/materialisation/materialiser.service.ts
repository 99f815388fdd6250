import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { FeaturesMaterialisedEvent, type featureStoreV1, type ingestionV1 } from '@flywheel/contracts';
import { formatCsv } from '@flywheel/ml';
import { EventPublisher } from '@flywheel/messaging';
import { JsonLogger, Clock } from '@flywheel/platform';
import { TransactionRunner } from '@flywheel/persistence';
import { featureSnapshotKey, ObjectStore } from '@flywheel/storage';
import { type EntityManager } from 'typeorm';
import { DatasetCatalogRepository, type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { entityKeyOf } from '../feature-views/feature-values';
import { compileFeatureView, type FeatureViewRevision } from '../feature-views/feature-view';
import { FeatureViewRepository } from '../feature-views/feature-view.repository';
import { type FeatureRecord, latestPerEntity } from '../serving/point-in-time';
import { DatasetReader } from './dataset-reader';
import { FeatureStoresRepository } from './feature-stores.repository';

const SNAPSHOT_CONTENT_TYPE = 'text/csv';

/** What one materialisation did (null from `materialise` when it had been done before). */
export interface MaterialiseOutcome {
  readonly rowCount: number;
  readonly entityCount: number;
  readonly skippedRows: number;
}

/**
 * Turns dataset versions into feature values: offline rows appended, online values upserted
 * (latest by event time wins), a CSV snapshot exported and FeaturesMaterialised published — all
 * in the caller's transaction, claimed once per (view revision, dataset version) so a redelivered
 * event or an overlapping backfill has no second effect.
 */
@Injectable()
export class Materialiser implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly backfills = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    @Inject(FeatureViewRepository) private readonly views: FeatureViewRepository,
    @Inject(DatasetCatalogRepository) private readonly catalog: DatasetCatalogRepository,
    @Inject(FeatureStoresRepository) private readonly stores: FeatureStoresRepository,
    @Inject(DatasetReader) private readonly reader: DatasetReader,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  /** Handles a committed version: records it, then materialises it for every current view of its dataset. */
  async onVersionCommitted(manager: EntityManager, eventId: string, event: ingestionV1.DatasetVersionCommitted): Promise<number> {
    const version = versionRecordOf(eventId, event);
    await this.catalog.upsertDataset(manager, version.dataset, version.contract);
    await this.catalog.recordVersion(manager, version);
    let materialised = 0;
    for (const view of await this.views.currentForDataset(version.dataset, manager)) {
      if (await this.materialise(manager, view, version)) materialised++;
    }
    return materialised;
  }

  async materialise(
    manager: EntityManager,
    view: FeatureViewRevision,
    version: DatasetVersionRecord,
    causationId?: string,
  ): Promise<MaterialiseOutcome | null> {
    if (!(await this.stores.claim(manager, view.name, view.revision, version.version))) return null;
    const data = await this.reader.read(version);
    const compiled = compileFeatureView(view);
    const records: FeatureRecord[] = [];
    let skippedRows = 0;
    for (let row = 0; row < data.rowCount; row++) {
      const entityKey = entityKeyOf(data.cell(row, view.entityKey));
      const eventTime = data.cell(row, view.eventTimeColumn);
      // A record without an entity or an event time cannot be placed in either store.
      if (entityKey === null || !(eventTime instanceof Date)) {
        skippedRows++;
        continue;
      }
      records.push({
        entityKey,
        eventTime,
        datasetVersion: version.version,
        rowIndex: row,
        values: compiled.compute((column) => data.cell(row, column)),
      });
    }
    await this.stores.appendOffline(manager, view.name, view.revision, records);
    const latest = latestPerEntity(records);
    await this.stores.upsertOnline(manager, view.name, view.revision, latest);

    const snapshot = await this.exportSnapshot(view, version.version, records);
    let start: Date | null = null;
    let end: Date | null = null;
    for (const r of records) {
      if (!start || r.eventTime < start) start = r.eventTime;
      if (!end || r.eventTime > end) end = r.eventTime;
    }
    await this.stores.complete(manager, view.name, view.revision, version.version, {
      rowCount: records.length,
      entityCount: latest.length,
      skippedRows,
      snapshotKey: snapshot.key,
      snapshotSha256: snapshot.sha256,
      eventTimeStart: start,
      eventTimeEnd: end,
    });
    await this.views.markMaterialised(manager, view.name, view.revision, version.version);
    const event: featureStoreV1.FeaturesMaterialised = {
      featureView: view.name,
      featureViewRevision: view.revision,
      dataset: version.dataset,
      datasetVersion: version.version,
      rowCount: records.length,
      entityCount: latest.length,
      offlineObject: snapshot,
      // The range is [start, end): one millisecond past the newest record keeps it inside.
      eventTimeRange: start && end ? { start, end: new Date(end.getTime() + 1) } : undefined,
      materialiseTime: this.clock.now(),
    };
    await this.publisher.publish(manager, FeaturesMaterialisedEvent, event, {
      key: view.name,
      ...(causationId === undefined ? {} : { causationId }),
    });
    this.logger.entry('info', 'dataset version materialised', {
      featureView: view.name,
      revision: view.revision,
      dataset: version.dataset,
      datasetVersion: version.version,
      rows: records.length,
      entities: latest.length,
      skippedRows,
    });
    return { rowCount: records.length, entityCount: latest.length, skippedRows };
  }

  /** The materialised rows as CSV under `features/<view>/r<revision>-v<version>/`, for tools that read files. */
  private async exportSnapshot(view: FeatureViewRevision, datasetVersion: number, records: readonly FeatureRecord[]) {
    const header = [view.entityKey, view.eventTimeColumn, ...view.features.map((f) => f.name)];
    const text = formatCsv(
      header,
      records.map((r) => [r.entityKey, r.eventTime.toISOString(), ...view.features.map((f) => csvCell(r.values[f.name]))]),
    );
    const key = featureSnapshotKey(view.name, `r${view.revision}-v${datasetVersion}`, 'features.csv');
    const put = await this.objects.put(key, Buffer.from(text, 'utf8'), { contentType: SNAPSHOT_CONTENT_TYPE });
    return { key: put.key as string, sha256: put.sha256, sizeBytes: put.size, contentType: SNAPSHOT_CONTENT_TYPE };
  }

  /**
   * Materialises, for the current revision of a view, every known version of its dataset that
   * it has not seen: a new view over existing data, or a changed definition. Each version in its
   * own transaction, so progress survives a crash and the next backfill resumes.
   */
  async backfill(name: string): Promise<number> {
    const view = await this.views.current(name);
    if (!view) return 0;
    const done = new Set(await this.stores.materialisedVersions(view.name, view.revision));
    let count = 0;
    for (const version of await this.catalog.listVersions(view.dataset, 1, null)) {
      if (this.stopping) break;
      if (done.has(version.version)) continue;
      const outcome = await this.transactions.run(async (manager) => {
        // The revision may have moved on while we worked; the new one gets its own backfill.
        const current = await this.views.current(name, manager);
        if (!current || current.revision !== view.revision) return null;
        return this.materialise(manager, view, version, version.eventId);
      });
      if (outcome) count++;
    }
    return count;
  }

  /** Starts a backfill in the background (one per view at a time; a later request queues behind it). */
  scheduleBackfill(name: string): Promise<void> {
    const previous = this.backfills.get(name) ?? Promise.resolve();
    const next = previous
      .then(() => (this.stopping ? 0 : this.backfill(name)))
      .then(
        (count) => {
          if (count > 0) this.logger.entry('info', 'feature view backfilled', { featureView: name, datasetVersions: count });
        },
        (error: Error) =>
          this.logger.entry('error', 'feature view backfill failed; it resumes at the next apply or restart', {
            featureView: name,
            error: error.message,
          }),
      )
      .finally(() => {
        if (this.backfills.get(name) === next) this.backfills.delete(name);
      });
    this.backfills.set(name, next);
    return next;
  }

  /** Catches up after a restart: versions that arrived while a backfill was interrupted. */
  async onApplicationBootstrap(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.views.list(undefined, after, 500);
      for (const view of page) void this.scheduleBackfill(view.name);
      if (page.length < 500) break;
      after = page[page.length - 1].name;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.backfills.values()]);
  }
}

function csvCell(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}

/** The version an event announces; a version the store could never read is a dead letter, not a retry. */
export function versionRecordOf(eventId: string, event: ingestionV1.DatasetVersionCommitted): DatasetVersionRecord {
  const version = event.version;
  const object = version?.object;
  const problems: string[] = [];
  if (!event.dataset) problems.push('dataset is empty');
  if (!version || !(version.version >= 1)) problems.push('version.version must be at least 1');
  if (!object?.key) problems.push('version.object.key is empty');
  if (!object?.sha256) problems.push('version.object.sha256 is empty');
  if (!event.contract?.columns?.length) problems.push('contract has no columns');
  if (problems.length) throw new InvalidVersionEvent(`DatasetVersionCommitted ${eventId}: ${problems.join('; ')}`);
  return {
    dataset: event.dataset,
    version: version!.version,
    objectKey: object!.key,
    objectSha256: object!.sha256,
    contentType: object!.contentType ?? '',
    rowCount: version!.rowCount ?? 0,
    contract: event.contract!,
    eventId,
    committedAt: version!.commitTime ?? null,
  };
}

export class InvalidVersionEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidVersionEvent';
  }
}
