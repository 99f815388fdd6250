import { type FeatureHistory, type FeatureRecord } from '../serving/point-in-time';

/** Records as the columns a history read returns, for fakes and tests of the join. */
export function historyOf(records: readonly FeatureRecord[]): FeatureHistory {
  return {
    entityKeys: records.map((r) => r.entityKey),
    eventTimes: Float64Array.from(records, (r) => r.eventTime.getTime()),
    datasetVersions: Int32Array.from(records, (r) => r.datasetVersion),
    rowIndexes: Int32Array.from(records, (r) => r.rowIndex),
    values: records.map((r) => r.values),
  };
}
