import { type featureStoreV1 } from '@flywheel/contracts';

/**
 * How the trainer gets a training set: the feature store's GetHistoricalFeatures, behind a port
 * so the pipeline can be exercised against a fake that serves a real object.
 */
export abstract class FeatureStorePort {
  abstract getHistoricalFeatures(
    request: featureStoreV1.GetHistoricalFeaturesRequest,
  ): Promise<featureStoreV1.GetHistoricalFeaturesResponse>;
  /** The current revision of a view, with its dataset's columns where known; undefined when there is no such view. */
  abstract getFeatureView(name: string): Promise<featureStoreV1.FeatureView | undefined>;
}

/** The feature store refused or failed; `invalidRequest` when the spec is at fault (unknown view, column). */
export class FeatureStoreError extends Error {
  constructor(
    message: string,
    readonly invalidRequest: boolean,
  ) {
    super(message);
    this.name = 'FeatureStoreError';
  }
}
