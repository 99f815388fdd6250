export * from '@flywheel/test-kit';
export * from './test-postgres';
export * from './kafka-topic-reader';
export * from './service-infrastructure';
export * from './compose-environment';
export * from './kustomize-environment';
export * from './service-image';
export * from './grpc-error';
