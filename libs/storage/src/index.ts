export * from './object-key';
export * from './object-store';
export * from './minio-object-store';
export * from './sha256';
export * from './storage-config';
export * from './storage.exception';
export * from './storage.module';
export * from './object-chunk';
