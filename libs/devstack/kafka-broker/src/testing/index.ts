export * from './error-code-of';
export * from './test-broker';
export * from './scram-client';
