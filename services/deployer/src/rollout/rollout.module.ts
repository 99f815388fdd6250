import { Module } from '@nestjs/common';
import { DeploymentStoreModule } from '../deployments/deployment-store.module';
import { ServingModule } from '../serving/serving.module';
import { AliasMovedConsumer } from './alias-moved.consumer';
import { DeploymentEvents, OutboxDeploymentEvents } from './deployment-events';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutService } from './rollout.service';

@Module({
  imports: [DeploymentStoreModule, ServingModule],
  providers: [{ provide: DeploymentEvents, useClass: OutboxDeploymentEvents }, RolloutService, RolloutScheduler, AliasMovedConsumer],
  exports: [RolloutService],
})
export class RolloutModule {}
