import { Inject, Injectable } from '@nestjs/common';
import { commonV1 } from '@flywheel/contracts';
import { type CsvCell, type CsvColumn, formatCsvColumns } from '@flywheel/ml';
import { type FieldViolation, InvalidArgumentException, invalidArgument } from '@flywheel/platform';
import { ObjectStore, sha256Hex, trainingSetKey } from '@flywheel/storage';
import { DatasetCatalogRepository } from '../datasets/dataset-catalog.repository';
import { entityKeyOf, type StoredValue, type StoredValues, toStoredValue } from '../feature-views/feature-values';
import { type FeatureDefinition, type FeatureViewRevision, selectFeatures } from '../feature-views/feature-view';
import { FeatureViewsService } from '../feature-views/feature-views.service';
import { type DatasetRecords, DatasetReader } from '../materialisation/dataset-reader';
import { FeatureStoresRepository } from '../materialisation/feature-stores.repository';
import { asOfJoin } from './point-in-time';
import { ServingException, ServingExceptionCode } from './serving.exception';
import { inferColumnType, type ProfiledColumn, profileColumns } from './training-set-profile';

export const MAX_DATASET_SPINE_ROWS = 1_000_000;
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
  ) {}

  async get(query: TrainingSetQuery): Promise<TrainingSet> {
    const view = await this.featureViews.require(query.featureView, query.revision);
    const features = selectFeatures(view, query.features);
    const materialised = await this.stores.materialisedVersions(view.name, view.revision);
    const spine =
      query.spine.kind === 'entities'
        ? this.entityRowSpine(query.spine.rows, materialised)
        : await this.datasetSpine(view, query.spine, materialised);

    const reserved = new Map<string, string>([
      [view.entityKey, 'the entity key column'],
      [view.eventTimeColumn, 'the timestamp column'],
      ...features.map((f): [string, string] => [f.name, `feature "${f.name}"`]),
    ]);
    const clashes: FieldViolation[] = spine.extraColumns
      .filter((c) => reserved.has(c))
      .map((c) => ({
        field: query.spine.kind === 'entities' ? 'entityRows.rows.extra' : 'datasetSpine.extraColumns',
        reason: `column "${c}" clashes with ${reserved.get(c)}`,
      }));
    if (clashes.length) throw new InvalidArgumentException(clashes);

    // Each entity's history up to its latest spine time is all the join can pick from.
    const bounds = new Map<string, number>();
    spine.entityKeys.forEach((key, i) => {
      const bound = bounds.get(key);
      if (bound === undefined || spine.times[i] > bound) bounds.set(key, spine.times[i]);
    });
    const history = await this.stores.readHistory(view.name, view.revision, bounds);
    const matches = asOfJoin(spine.entityKeys, spine.times, history);
    const featureColumns = features.map((f) => featureColumn(f, matches, history.values));

    const columns = [view.entityKey, view.eventTimeColumn, ...spine.extraColumns, ...features.map((f) => f.name)];
    const isoTimes = Array.from(spine.times, (t) => new Date(t).toISOString());
    const bytes = Buffer.from(
      formatCsvColumns(columns, [spine.entityKeys, isoTimes, ...spine.extras.map(csvColumn), ...featureColumns.map(csvColumn)]),
      'utf8',
    );
    const sha256 = sha256Hex(bytes);
    const key = trainingSetKey(view.name, `r${view.revision}-${sha256.slice(0, 16)}`, 'training-set.csv');
    const put = await this.objects.put(key, bytes, { contentType: TRAINING_SET_CONTENT_TYPE });

    const rowCount = spine.entityKeys.length;
    const profiled: ProfiledColumn[] = [
      { name: view.entityKey, type: ColumnType.COLUMN_TYPE_STRING, values: spine.entityKeys },
      { name: view.eventTimeColumn, type: ColumnType.COLUMN_TYPE_TIMESTAMP, values: spine.times },
      ...spine.extraColumns.map((name, j) => ({ name, type: inferColumnType(spine.extras[j]), values: spine.extras[j] })),
      ...features.map((f, j) => ({ name: f.name, type: f.type, values: featureColumns[j] })),
    ];
    return {
      object: { key: put.key, sha256: put.sha256, sizeBytes: put.size, contentType: TRAINING_SET_CONTENT_TYPE },
      rowCount,
      columns,
      revision: view.revision,
      dataset: view.dataset,
      versionFrom: spine.versionFrom,
      versionTo: spine.versionTo,
      profile: profileColumns(rowCount, profiled),
    };
  }

  private entityRowSpine(input: readonly EntitySpineRow[], materialised: readonly number[]): Spine {
    const extraColumns: string[] = [];
    const seen = new Set<string>();
    for (const row of input) {
      for (const name of Object.keys(row.extra)) {
        if (!seen.has(name)) extraColumns.push(name);
        seen.add(name);
      }
    }
    return {
      entityKeys: input.map((row) => row.entityKey),
      times: Float64Array.from(input, (row) => row.timestamp.getTime()),
      extraColumns,
      extras: extraColumns.map((name) => input.map((row) => row.extra[name] ?? null)),
      versionFrom: materialised.length ? materialised[0] : 0,
      versionTo: materialised.length ? materialised[materialised.length - 1] : 0,
    };
  }

  private async datasetSpine(
    view: FeatureViewRevision,
    spec: Extract<TrainingSetSpine, { kind: 'dataset' }>,
    materialised: readonly number[],
  ): Promise<Spine> {
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
    const start = spec.eventTimeStart?.getTime() ?? null;
    const end = spec.eventTimeEnd?.getTime() ?? null;

    const entityKeys: string[] = [];
    const times: number[] = [];
    const extras: StoredValue[][] = extraColumns.map(() => []);
    const needed = [view.entityKey, view.eventTimeColumn, ...extraColumns];
    // The next version is fetched while this one is read.
    let next: Promise<DatasetRecords> | null = this.reader.read(versions[0], needed);
    try {
      for (let v = 0; v < versions.length; v++) {
        const data: DatasetRecords = await next!;
        next = v + 1 < versions.length ? this.reader.read(versions[v + 1], needed) : null;
        for (let row = 0; row < data.rowCount; row++) {
          const entityKey = entityKeyOf(data.cell(row, view.entityKey));
          const time = data.cell(row, view.eventTimeColumn);
          if (entityKey === null || !(time instanceof Date)) continue;
          const t = time.getTime();
          if ((start !== null && t < start) || (end !== null && t >= end)) continue;
          if (entityKeys.length >= MAX_DATASET_SPINE_ROWS) {
            throw new ServingException(
              `the dataset spine has more than ${MAX_DATASET_SPINE_ROWS} rows; narrow the version or event-time range`,
              ServingExceptionCode.SPINE_TOO_LARGE,
            );
          }
          entityKeys.push(entityKey);
          times.push(t);
          for (let j = 0; j < extraColumns.length; j++) extras[j].push(toStoredValue(data.cell(row, extraColumns[j])));
        }
      }
    } finally {
      // A read still under way when this one failed must not fail unobserved.
      next?.catch(() => undefined);
    }
    return {
      entityKeys,
      times: Float64Array.from(times),
      extraColumns: [...extraColumns],
      extras,
      versionFrom: versions[0].version,
      versionTo: versions[versions.length - 1].version,
    };
  }
}

/**
 * A feature's values for each row of the set: numbers in a typed column when the feature's
 * values are all numbers (NaN where the row has none), otherwise the stored values.
 */
function featureColumn(feature: FeatureDefinition, matches: Int32Array, values: readonly StoredValues[]): Float64Array | StoredValue[] {
  const numbers = new Float64Array(matches.length);
  for (let i = 0; i < matches.length; i++) {
    const value = matches[i] === -1 ? null : (values[matches[i]][feature.name] ?? null);
    if (typeof value === 'number') numbers[i] = value;
    else if (value === null) numbers[i] = Number.NaN;
    else return Array.from(matches, (m) => (m === -1 ? null : (values[m][feature.name] ?? null)));
  }
  return numbers;
}

/** A column as CSV cells: booleans as `true`/`false`, the rest as they are. */
function csvColumn(values: Float64Array | readonly StoredValue[]): CsvColumn {
  if (values instanceof Float64Array || !values.some((v) => typeof v === 'boolean')) return values as CsvColumn;
  return values.map(csvCell);
}

function csvCell(value: StoredValue): CsvCell {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}
