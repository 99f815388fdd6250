import { Module } from '@nestjs/common';
import { RolloutModule } from '../rollout/rollout.module';
import { ServingModule } from '../serving/serving.module';
import { DeployerGrpcController } from './deployer.grpc-controller';
import { DeploymentStoreModule } from './deployment-store.module';

@Module({
  imports: [DeploymentStoreModule, ServingModule, RolloutModule],
  controllers: [DeployerGrpcController],
})
export class DeploymentsModule {}
