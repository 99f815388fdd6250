export * from './bench';
export * from './external-tool';
export * from './free-port';
