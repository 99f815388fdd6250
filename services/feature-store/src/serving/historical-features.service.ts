import { Inject, Injectable } from '@nestjs/common';
import { commonV1, type ProfiledColumn, profileColumns } from '@flywheel/contracts';
import { type FieldViolation, InjectConfig, InvalidArgumentException, invalidArgument } from '@flywheel/platform';
import { type ObjectChunk, type ObjectKey, ObjectStore, readObjectChunk, trainingSetKey } from '@flywheel/storage';
import { type FeatureStoreConfig } from '../feature-store.config';
import { DatasetCatalogRepository, type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { type StoredValue, toStoredValue } from '../feature-views/feature-values';
import { type FeatureDefinition, type FeatureViewRevision, selectFeatures } from '../feature-views/feature-view';
import { FeatureViewsService } from '../feature-views/feature-views.service';
import { DatasetReader } from '../materialisation/dataset-reader';
import { type DatasetRange, FeatureStoresRepository } from '../materialisation/feature-stores.repository';
import { asOfJoin, type FeatureHistory, HistoryTooLargeError } from './point-in-time';
import { ServingException, ServingExceptionCode } from './serving.exception';
import { SpineColumns } from './spine-columns';
import { TrainingSetThreads } from './training-set-threads';
import { csvColumn, featureColumn } from './training-set-columns';
import { inferColumnType } from './training-set-profile';

export const TRAINING_SET_CONTENT_TYPE = 'text/csv';
const { ColumnType } = commonV1;

/** A spine row given by the caller, with the extra columns to carry into the set. */
export interface EntitySpineRow {
  readonly entityKey: string;
  readonly timestamp: Date;
  readonly extra: Readonly<Record<string, StoredValue>>;
}

/** Where a training set's rows come from: the caller's rows, or the view's own dataset. */
export type TrainingSetSpine =
  | { readonly kind: 'entities'; readonly rows: readonly EntitySpineRow[] }
  | {
      readonly kind: 'dataset';
      /** 0: the first version. */
      readonly versionFrom: number;
      /** 0: the newest materialised version. */
      readonly versionTo: number;
      /** Event times in [start, end); undefined bounds are open. */
      readonly eventTimeStart: Date | undefined;
      readonly eventTimeEnd: Date | undefined;
      readonly extraColumns: readonly string[];
    };

export interface TrainingSetQuery {
  readonly featureView: string;
  /** 0: the current revision. */
  readonly revision: number;
  /** Empty: every feature of the view. */
  readonly features: readonly string[];
  readonly spine: TrainingSetSpine;
}

/** A training set written to the object store, with what it was built from. */
export interface TrainingSet {
  readonly object: { readonly key: string; readonly sha256: string; readonly sizeBytes: number; readonly contentType: string };
  readonly rowCount: number;
  readonly columns: readonly string[];
  readonly revision: number;
  readonly dataset: string;
  readonly versionFrom: number;
  readonly versionTo: number;
  readonly profile: commonV1.DataProfile;
}

/** The rows of a training set before its features: entity and time per row, and the caller's extra columns. */
interface Spine {
  readonly entityKeys: string[];
  /** Epoch milliseconds. */
  readonly times: Float64Array;
  readonly extraColumns: string[];
  /** Extra values column by column, in `extraColumns` order. */
  readonly extras: StoredValue[][];
  readonly versionFrom: number;
  readonly versionTo: number;
}

interface SpineWithHistory {
  readonly spine: Spine;
  /** Every record the spine's as-of join may pick from. */
  readonly history: FeatureHistory;
}

/**
 * Point-in-time-correct training sets: each spine row gets, per feature, the value of the
 * latest record of its entity with event time at or before the row's timestamp. The set is
 * written as CSV under `training-sets/<view>/r<revision>-<content hash>/`, so the same request
 * over the same data yields the same object.
 */
@Injectable()
export class HistoricalFeaturesService {
  constructor(
    @Inject(FeatureViewsService) private readonly featureViews: FeatureViewsService,
    @Inject(FeatureStoresRepository) private readonly stores: FeatureStoresRepository,
    @Inject(DatasetCatalogRepository) private readonly catalog: DatasetCatalogRepository,
    @Inject(DatasetReader) private readonly reader: DatasetReader,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(TrainingSetThreads) private readonly threads: TrainingSetThreads,
    @Inject(SpineColumns) private readonly spineColumns: SpineColumns,
    @InjectConfig() private readonly config: FeatureStoreConfig,
  ) {}

  /** A piece of a training set built before, to take it out of the platform. */
  async readChunk(read: { key: ObjectKey; offset: number; maxBytes: number }): Promise<ObjectChunk> {
    const info = await this.objects.stat(read.key);
    // Sets are written whole with their sha256; one without is not a training set this service wrote.
    if (!info?.sha256)
      throw new ServingException(
        `no training set ${read.key}: build one with GetHistoricalFeatures`,
        ServingExceptionCode.TRAINING_SET_NOT_FOUND,
      );
    const object = { key: read.key, sha256: info.sha256, sizeBytes: info.size, contentType: info.contentType };
    return readObjectChunk(this.objects, object, read.offset, read.maxBytes);
  }

  async get(query: TrainingSetQuery): Promise<TrainingSet> {
    const view = await this.featureViews.require(query.featureView, query.revision);
    // Every feature asked for, a column the spine carries (a label the view also has as a
    // feature) comes from the spine and is no input; named as a feature too, it clashes.
    const carried = spineColumns(query.spine);
    const features = selectFeatures(view, query.features).filter((f) => query.features.length > 0 || !carried.has(f.name));
    const materialised = await this.stores.materialisedVersions(view.name, view.revision);
    const { spine, history } =
      query.spine.kind === 'entities'
        ? await this.entityRowSet(view, features, query.spine.rows, materialised)
        : await this.datasetSet(view, features, query.spine, materialised);
    const rowCount = spine.entityKeys.length;
    const spineProfiled: ProfiledColumn[] = [
      { name: view.eventTimeColumn, type: ColumnType.COLUMN_TYPE_TIMESTAMP, values: spine.times },
      ...spine.extraColumns.map((name, j) => ({ name, type: inferColumnType(spine.extras[j]), values: spine.extras[j] })),
    ];
    // The spine's columns are profiled on the threads while this one joins the features.
    const profilingSpine = this.threads.profile(rowCount, spineProfiled);
    profilingSpine.catch(() => undefined);
    const { records: matches, entities } = asOfJoin(spine.entityKeys, spine.times, history);
    const featureColumns = features.map((f) => featureColumn(matches, history.features.get(f.name)!));
    const columns = [view.entityKey, view.eventTimeColumn, ...spine.extraColumns, ...features.map((f) => f.name)];
    const featuresProfiled = features.map((f, j): ProfiledColumn => ({ name: f.name, type: f.type, values: featureColumns[j] }));
    // The text is written and the features profiled on threads, the text first; it goes up to
    // the object store as soon as it is written, while the profile is made.
    const uploading = this.threads
      .write({
        header: columns,
        columns: [spine.entityKeys, { instants: spine.times }, ...spine.extras.map(csvColumn), ...featureColumns.map(csvColumn)],
      })
      .then(({ bytes, sha256 }) => {
        const key = trainingSetKey(view.name, `r${view.revision}-${sha256.slice(0, 16)}`, 'training-set.csv');
        return this.objects.put(key, bytes, { contentType: TRAINING_SET_CONTENT_TYPE, sha256 });
      });
    uploading.catch(() => undefined);
    const profilingFeatures = this.threads.profile(rowCount, featuresProfiled);
    profilingFeatures.catch(() => undefined);
    // The key column here, while the threads write: the join has told its entities apart, so it
    // is counted by entity (an array of counts) rather than sent to a thread to be hashed key by
    // key again. Keys the history lacks (a caller's rows) are counted on the threads, as text.
    const keyColumn = (values: ProfiledColumn['values']) => [{ name: view.entityKey, type: ColumnType.COLUMN_TYPE_STRING, values }];
    const profilingKeys = entities.includes(-1)
      ? this.threads.profile(rowCount, keyColumn(spine.entityKeys))
      : profileColumns(rowCount, keyColumn({ codes: entities, dictionary: history.entityKeys }));
    const [keyProfile, spineProfile, featureProfile] = await Promise.all([profilingKeys, profilingSpine, profilingFeatures]);
    const profile: commonV1.DataProfile = {
      rowCount,
      columns: [...keyProfile.columns, ...spineProfile.columns, ...featureProfile.columns],
    };
    const put = await uploading;
    return {
      object: { key: put.key, sha256: put.sha256, sizeBytes: put.size, contentType: TRAINING_SET_CONTENT_TYPE },
      rowCount,
      columns,
      revision: view.revision,
      dataset: view.dataset,
      versionFrom: spine.versionFrom,
      versionTo: spine.versionTo,
      profile,
    };
  }

  /** A spine of the caller's rows, and the history of their entities up to each one's latest row. */
  private async entityRowSet(
    view: FeatureViewRevision,
    features: readonly FeatureDefinition[],
    input: readonly EntitySpineRow[],
    materialised: readonly number[],
  ): Promise<SpineWithHistory> {
    const extraColumns: string[] = [];
    const seen = new Set<string>();
    for (const row of input) {
      for (const name of Object.keys(row.extra)) {
        if (!seen.has(name)) extraColumns.push(name);
        seen.add(name);
      }
    }
    checkExtraColumns(view, features, extraColumns, 'entityRows.rows.extra');
    const spine: Spine = {
      entityKeys: input.map((row) => row.entityKey),
      times: Float64Array.from(input, (row) => row.timestamp.getTime()),
      extraColumns,
      extras: extraColumns.map((name) => input.map((row) => row.extra[name] ?? null)),
      versionFrom: materialised.length ? materialised[0] : 0,
      versionTo: materialised.length ? materialised[materialised.length - 1] : 0,
    };
    const bounds = new Map<string, number>();
    spine.entityKeys.forEach((key, i) => {
      const bound = bounds.get(key);
      if (bound === undefined || spine.times[i] > bound) bounds.set(key, spine.times[i]);
    });
    const history = await this.boundedRead(() =>
      this.stores.readHistory(
        view.name,
        view.revision,
        bounds,
        features.map((f) => f.name),
        this.config.TRAINING_SET_MAX_HISTORY_RECORDS,
      ),
    );
    return { spine, history };
  }

  /**
   * A spine of a dataset's own rows. The offline store holds every row of every materialised
   * version that has an entity and an event time, by version and row, so one read gives the
   * spine and its history; only the extra columns come from the versions' objects, read meanwhile.
   */
  private async datasetSet(
    view: FeatureViewRevision,
    features: readonly FeatureDefinition[],
    spec: Extract<TrainingSetSpine, { kind: 'dataset' }>,
    materialised: readonly number[],
  ): Promise<SpineWithHistory> {
    const done = new Set(materialised);
    const newest = materialised.length ? materialised[materialised.length - 1] : 0;
    const from = spec.versionFrom || 1;
    const to = spec.versionTo || newest;
    if (to === 0) {
      throw new ServingException(
        `feature view "${view.name}" revision ${view.revision} has not materialised any dataset version yet`,
        ServingExceptionCode.NOT_MATERIALISED,
      );
    }
    // Here rather than in the request schema: an unset datasetVersionTo means the newest version materialised.
    if (from > to) throw invalidArgument('datasetSpine.datasetVersionFrom', `must be at most datasetVersionTo (${to})`);
    const range: DatasetRange = {
      versionFrom: from,
      versionTo: to,
      start: spec.eventTimeStart?.getTime() ?? null,
      end: spec.eventTimeEnd?.getTime() ?? null,
    };
    const versions = await this.catalog.listVersions(view.dataset, from, to);
    const missing = versions.filter((v) => !done.has(v.version)).map((v) => v.version);
    if (versions.length === 0 || missing.length) {
      const which = missing.length ? `dataset versions ${missing.join(', ')}` : `dataset versions ${from} to ${to}`;
      throw new ServingException(
        `feature view "${view.name}" revision ${view.revision} has not materialised ${which} of "${view.dataset}" yet`,
        ServingExceptionCode.NOT_MATERIALISED,
      );
    }
    const contract = versions[versions.length - 1].contract;
    const known = new Set((contract.columns ?? []).map((c) => c.name));
    const extraColumns = spec.extraColumns;
    const unknown: FieldViolation[] = extraColumns
      .map((name, i) => ({ name, i }))
      .filter(({ name }) => !known.has(name))
      .map(({ name, i }) => ({ field: `datasetSpine.extraColumns[${i}]`, reason: `dataset "${view.dataset}" has no column "${name}"` }));
    if (unknown.length) throw new InvalidArgumentException(unknown);
    checkExtraColumns(view, features, extraColumns, 'datasetSpine.extraColumns');
    // The versions' rows bound the records they gave the offline store: only a range they do
    // not keep under the limit is counted (a round trip and a scan of the range's keys).
    const limit = this.config.TRAINING_SET_MAX_ROWS;
    const versionSizes = new Map(versions.map((v) => [v.version, v.rowCount]));
    const atMost = versions.reduce((sum, v) => sum + v.rowCount, 0);
    if (atMost > limit && (await this.stores.countDatasetRecords(view.name, view.revision, range)) > limit) {
      throw new ServingException(
        `the dataset spine has more than ${limit} rows; narrow the version or event-time range`,
        ServingExceptionCode.SPINE_TOO_LARGE,
      );
    }
    const [{ spineSize, history }, objects] = await Promise.all([
      this.boundedRead(() =>
        this.stores.readDatasetHistory(
          view.name,
          view.revision,
          range,
          features.map((f) => f.name),
          versionSizes,
          this.config.TRAINING_SET_MAX_HISTORY_RECORDS,
        ),
      ),
      this.readColumns(versions, extraColumns),
    ]);
    // The range's own records come first, in the dataset's order: by version, then row.
    const { datasetVersions, rowIndexes } = history;
    const spine: Spine = {
      entityKeys: history.entityKeys.slice(0, spineSize),
      times: history.eventTimes.slice(0, spineSize),
      extraColumns: [...extraColumns],
      extras: extraColumns.map((name) => {
        const column = new Array<StoredValue>(spineSize);
        for (let r = 0; r < spineSize; r++) column[r] = objects.get(datasetVersions[r])?.get(name)?.[rowIndexes[r]] ?? null;
        return column;
      }),
      versionFrom: versions[0].version,
      versionTo: versions[versions.length - 1].version,
    };
    return { spine, history };
  }

  /** A history read, its refusal past TRAINING_SET_MAX_HISTORY_RECORDS told as the caller's to narrow. */
  private async boundedRead<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof HistoryTooLargeError)) throw error;
      throw new ServingException(
        `the spine's entities have more than ${error.maxRecords} offline records up to their times (TRAINING_SET_MAX_HISTORY_RECORDS); ` +
          'ask for fewer entities, earlier times or a narrower version or event-time range',
        ServingExceptionCode.HISTORY_TOO_LARGE,
      );
    }
  }

  /**
   * The named columns of each version's object, every row of each, by version and name: from
   * those kept of earlier sets ({@link SpineColumns}), or read from the object (once for all
   * the columns it lacks). None read when no column is named.
   */
  private async readColumns(
    versions: readonly DatasetVersionRecord[],
    columns: readonly string[],
  ): Promise<Map<number, Map<string, readonly StoredValue[]>>> {
    const read = new Map<number, Map<string, readonly StoredValue[]>>();
    for (const version of versions) {
      const byName = new Map<string, readonly StoredValue[]>();
      const missing: string[] = [];
      for (const name of columns) {
        const kept = this.spineColumns.get(version, name);
        if (kept) byName.set(name, kept);
        else missing.push(name);
      }
      if (missing.length > 0) {
        const records = await this.reader.read(version, missing);
        for (const name of missing) {
          const values = Array.from({ length: records.rowCount }, (_, row) => toStoredValue(records.cell(row, name) ?? null));
          this.spineColumns.set(version, name, values);
          byName.set(name, values);
        }
      }
      read.set(version.version, byName);
    }
    return read;
  }
}

/** The extra columns a spine carries into the set. */
function spineColumns(spine: TrainingSetSpine): Set<string> {
  return new Set(spine.kind === 'dataset' ? spine.extraColumns : spine.rows.flatMap((row) => Object.keys(row.extra)));
}

/** Extra columns may not take a name the set already gives a column. */
function checkExtraColumns(
  view: FeatureViewRevision,
  features: readonly FeatureDefinition[],
  extraColumns: readonly string[],
  field: string,
) {
  const reserved = new Map<string, string>([
    [view.entityKey, 'the entity key column'],
    [view.eventTimeColumn, 'the timestamp column'],
    ...features.map((f): [string, string] => [f.name, `feature "${f.name}"`]),
  ]);
  const clashes: FieldViolation[] = extraColumns
    .filter((c) => reserved.has(c))
    .map((c) => ({ field, reason: `column "${c}" clashes with ${reserved.get(c)}` }));
  if (clashes.length) throw new InvalidArgumentException(clashes);
}
