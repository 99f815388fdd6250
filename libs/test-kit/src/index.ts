// Test helpers with no dependency on any Flywheel server, so that the development servers' own
// tests and benchmarks can use them too (libs/testing builds on them and on those servers).
export * from './bench';
export * from './eventually';
export * from './external-tool';
export * from './free-port';
export * from './grpc-load';
export * from './open-to-others';
export * from './raw-grpc';
export * from './thread-cpu';
