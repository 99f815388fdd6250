export * from './bench';
export * from './external-tool';
export * from './free-port';
export * from './test-postgres';
export * from './eventually';
export * from './kafka-topic-reader';
export * from './service-infrastructure';
export * from './compose-environment';
