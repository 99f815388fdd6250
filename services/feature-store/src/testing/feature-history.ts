import { type DatasetRange } from '../materialisation/feature-stores.repository';
import { type DatasetHistory, type FeatureHistory, type FeatureRecord } from '../serving/point-in-time';

/** Records as the columns a history read returns, for fakes and tests of the join; default: every feature the records have. */
export function historyOf(records: readonly FeatureRecord[], features?: readonly string[]): FeatureHistory {
  const names = features ?? [...new Set(records.flatMap((r) => Object.keys(r.values)))];
  return {
    entityKeys: records.map((r) => r.entityKey),
    eventTimes: Float64Array.from(records, (r) => r.eventTime.getTime()),
    datasetVersions: Int32Array.from(records, (r) => r.datasetVersion),
    rowIndexes: Int32Array.from(records, (r) => r.rowIndex),
    features: new Map(names.map((name) => [name, records.map((r) => r.values[name] ?? null)])),
  };
}

/** Whether a record lies in a dataset range. */
export function inDatasetRange(record: FeatureRecord, range: DatasetRange): boolean {
  const t = record.eventTime.getTime();
  return (
    record.datasetVersion >= range.versionFrom &&
    record.datasetVersion <= range.versionTo &&
    (range.start === null || t >= range.start) &&
    (range.end === null || t < range.end)
  );
}

/** What `readDatasetHistory` returns for these stored records, worked out the plain way. */
export function datasetHistoryOf(records: readonly FeatureRecord[], range: DatasetRange, features?: readonly string[]): DatasetHistory {
  const byKey = (a: FeatureRecord, b: FeatureRecord) => a.datasetVersion - b.datasetVersion || a.rowIndex - b.rowIndex;
  const spine = records.filter((r) => inDatasetRange(r, range)).sort(byKey);
  const entities = new Set(spine.map((r) => r.entityKey));
  const others = records.filter(
    (r) => !inDatasetRange(r, range) && entities.has(r.entityKey) && (range.end === null || r.eventTime.getTime() < range.end),
  );
  return { spineSize: spine.length, history: historyOf([...spine, ...others], features) };
}
