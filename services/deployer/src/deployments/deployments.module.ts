import { type DynamicModule, Module } from '@nestjs/common';
import { FeedbackEvents, OutboxFeedbackEvents } from '../feedback/feedback-events';
import { FeedbackService } from '../feedback/feedback.service';
import { RolloutModule } from '../rollout/rollout.module';
import { ServingModule } from '../serving/serving.module';
import { DeployerGrpcController } from './deployer.grpc-controller';
import { DeployService } from './deploy.service';
import { DeploymentQueryService } from './deployment-query.service';
import { DeploymentStoreModule } from './deployment-store.module';
import { type ModelRegistry } from './model-registry';
import { ModelRegistryModule } from './model-registry.module';

export interface DeploymentsModuleOverrides {
  /** Replaces the registry over gRPC, e.g. by one serving the versions a test stored. */
  readonly registry?: ModelRegistry;
}

@Module({})
export class DeploymentsModule {
  static register(overrides: DeploymentsModuleOverrides = {}): DynamicModule {
    // One registration, imported by both: one registry client for the whole service.
    const registry = ModelRegistryModule.register(overrides.registry);
    return {
      module: DeploymentsModule,
      imports: [DeploymentStoreModule, ServingModule, registry, RolloutModule.register(registry)],
      controllers: [DeployerGrpcController],
      providers: [DeployService, DeploymentQueryService, FeedbackService, { provide: FeedbackEvents, useClass: OutboxFeedbackEvents }],
    };
  }
}
