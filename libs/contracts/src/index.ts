export * from './envelope';
export * from './topics';
export * from './events';
export * from './consumed-events';
export * from './kafka-access';
export * from './grpc';
export * from './duration';
export * from './feedback';
export * from './plain-json-events';
export * from './data-profile';
export * from './model-import';
export * from './object-chunks';
export * from './kafka-access';
export { type Duration } from './generated/google/protobuf/duration';
// Generated contracts, one namespace per proto package: `registryV1.ModelVersion`,
// `registryV1.RegistryServiceControllerMethods()`, `registryV1.REGISTRY_SERVICE_NAME`, ...
export * as commonV1 from './generated/flywheel/common/v1/common';
export * as ingestionV1 from './generated/flywheel/ingestion/v1/ingestion';
export * as featureStoreV1 from './generated/flywheel/featurestore/v1/featurestore';
export * as trainerV1 from './generated/flywheel/trainer/v1/trainer';
export * as registryV1 from './generated/flywheel/registry/v1/registry';
export * as deployerV1 from './generated/flywheel/deployer/v1/deployer';
export * as monitorV1 from './generated/flywheel/monitor/v1/monitor';
// The Open Inference Protocol (KServe V2), package `inference`, as its own clients name it.
export * as inferenceV2 from './generated/inference/grpc_predict_v2';
