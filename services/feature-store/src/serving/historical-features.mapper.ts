import { type featureStoreV1 } from '@flywheel/contracts';
import { type TrainingSet } from './historical-features.service';

export function toHistoricalFeaturesResponse(set: TrainingSet): featureStoreV1.GetHistoricalFeaturesResponse {
  return {
    trainingSet: { ...set.object },
    rowCount: set.rowCount,
    columns: [...set.columns],
    featureViewRevision: set.revision,
    dataset: set.dataset,
    datasetVersionFrom: set.versionFrom,
    datasetVersionTo: set.versionTo,
    profile: set.profile,
  };
}
