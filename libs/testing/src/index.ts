export * from './free-port';
export * from './external-tool';
