import { type DynamicModule, Module } from '@nestjs/common';
import { RolloutModule } from '../rollout/rollout.module';
import { ServingModule } from '../serving/serving.module';
import { DeployerGrpcController } from './deployer.grpc-controller';
import { DeployService } from './deploy.service';
import { DeploymentQueryService } from './deployment-query.service';
import { DeploymentStoreModule } from './deployment-store.module';
import { GrpcModelRegistry, ModelRegistry } from './model-registry';

export interface DeploymentsModuleOverrides {
  /** Replaces the registry over gRPC, e.g. by one serving the versions a test stored. */
  readonly registry?: ModelRegistry;
}

@Module({})
export class DeploymentsModule {
  static register(overrides: DeploymentsModuleOverrides = {}): DynamicModule {
    return {
      module: DeploymentsModule,
      imports: [DeploymentStoreModule, ServingModule, RolloutModule],
      controllers: [DeployerGrpcController],
      providers: [
        overrides.registry
          ? { provide: ModelRegistry, useValue: overrides.registry }
          : { provide: ModelRegistry, useClass: GrpcModelRegistry },
        DeployService,
        DeploymentQueryService,
      ],
    };
  }
}
