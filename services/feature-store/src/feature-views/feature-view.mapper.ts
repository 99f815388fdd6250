import { type featureStoreV1 } from '@flywheel/contracts';
import { type FeatureViewRevision } from './feature-view';

/** The protobuf FeatureView of a stored revision. */
/** `datasetColumns`: the source dataset's, where the caller looked them up (GetFeatureView). */
export function toProtoFeatureView(
  view: FeatureViewRevision,
  datasetColumns: featureStoreV1.SourceColumn[] = [],
): featureStoreV1.FeatureView {
  return {
    name: view.name,
    dataset: view.dataset,
    entityKey: view.entityKey,
    eventTimeColumn: view.eventTimeColumn,
    features: view.features.map((f) => ({
      name: f.name,
      ...('column' in f.source ? { column: f.source.column } : { expression: f.source.expression }),
      type: f.type,
      description: f.description,
    })),
    onlineTtl:
      view.onlineTtlMs === null
        ? undefined
        : { seconds: Math.trunc(view.onlineTtlMs / 1000), nanos: Math.round((view.onlineTtlMs % 1000) * 1e6) },
    revision: view.revision,
    description: view.description,
    applyTime: view.applyTime,
    materialisedDatasetVersion: view.materialisedDatasetVersion,
    datasetColumns,
  };
}
