import { type DynamicModule, Module } from '@nestjs/common';
import { GrpcModelRegistry, ModelRegistry } from './model-registry';

/** The registry port: over gRPC, or what a test gives. Deploy and the rollout both ask it. */
@Module({})
export class ModelRegistryModule {
  static register(registry?: ModelRegistry): DynamicModule {
    return {
      module: ModelRegistryModule,
      providers: [registry ? { provide: ModelRegistry, useValue: registry } : { provide: ModelRegistry, useClass: GrpcModelRegistry }],
      exports: [ModelRegistry],
    };
  }
}
