import {
  type deployerV1,
  type featureStoreV1,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';

/**
 * What `plan` reads and `apply` writes, one method per contract call: the seam between the
 * project logic and the six services, so that planning is tested without them. Reads answer
 * undefined where the platform has no such object.
 */
export interface PlatformState {
  dataset(name: string): Promise<ingestionV1.Dataset | undefined>;
  featureView(name: string): Promise<featureStoreV1.FeatureView | undefined>;
  model(name: string): Promise<registryV1.Model | undefined>;
  promotionPolicy(model: string): Promise<registryV1.PromotionPolicy | undefined>;
  retrainingPolicy(model: string): Promise<trainerV1.RetrainingPolicy | undefined>;
  monitoringPolicy(model: string): Promise<monitorV1.MonitoringPolicy | undefined>;
  deployment(name: string): Promise<deployerV1.Deployment | undefined>;

  registerDataset(request: ingestionV1.RegisterDatasetRequest): Promise<void>;
  /** Why the ingestion service would refuse this change of a registered dataset; undefined when it would make it. Changes nothing. */
  datasetUpdateRefusal(request: ingestionV1.UpdateDatasetRequest): Promise<string | undefined>;
  updateDataset(request: ingestionV1.UpdateDatasetRequest): Promise<void>;
  applyFeatureView(request: featureStoreV1.ApplyFeatureViewRequest): Promise<void>;
  createModel(request: registryV1.CreateModelRequest): Promise<void>;
  setPromotionPolicy(policy: registryV1.PromotionPolicy): Promise<void>;
  setRetrainingPolicy(policy: trainerV1.RetrainingPolicy): Promise<void>;
  setMonitoringPolicy(policy: monitorV1.MonitoringPolicy): Promise<void>;
  deploy(request: deployerV1.DeployRequest): Promise<void>;
}
