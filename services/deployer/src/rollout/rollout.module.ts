import { type DynamicModule, Module } from '@nestjs/common';
import { DeploymentStoreModule } from '../deployments/deployment-store.module';
import { ServingModule } from '../serving/serving.module';
import { AliasMovedConsumer } from './alias-moved.consumer';
import { DeploymentEvents, OutboxDeploymentEvents } from './deployment-events';
import { RolloutHistory } from './rollout-history';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutService } from './rollout.service';

@Module({})
export class RolloutModule {
  /** `registry`: the registry port's module, which confirms every alias move before it is served. */
  static register(registry: DynamicModule): DynamicModule {
    return {
      module: RolloutModule,
      imports: [DeploymentStoreModule, ServingModule, registry],
      providers: [
        { provide: DeploymentEvents, useClass: OutboxDeploymentEvents },
        RolloutService,
        RolloutScheduler,
        RolloutHistory,
        AliasMovedConsumer,
      ],
      exports: [RolloutService, RolloutHistory],
    };
  }
}
