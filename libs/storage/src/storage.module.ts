import { type DynamicModule, Module } from '@nestjs/common';
import { ObjectStoreHealth } from './health/object-store-health';
import { MinioObjectStore } from './minio-object-store';
import { ObjectStore } from './object-store';
import { type StorageConfig } from './storage-config';

export const STORAGE_CONFIG = Symbol('StorageConfig');

/**
 * Provides the ObjectStore port (as a global provider) backed by MinioObjectStore. Services
 * inject `ObjectStore` and never the client; tests override the provider with a fake. Registers
 * the `object-store` health check and makes the bucket at boot.
 */
@Module({})
export class StorageModule {
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        { provide: STORAGE_CONFIG, useValue: config },
        { provide: ObjectStore, useFactory: (c: StorageConfig) => new MinioObjectStore(c), inject: [STORAGE_CONFIG] },
        ObjectStoreHealth,
      ],
      exports: [ObjectStore, STORAGE_CONFIG],
    };
  }
}
