import { Module } from '@nestjs/common';
import { DeploymentRepository, TypeOrmDeploymentRepository } from './deployment.repository';

@Module({
  providers: [{ provide: DeploymentRepository, useClass: TypeOrmDeploymentRepository }],
  exports: [DeploymentRepository],
})
export class DeploymentStoreModule {}
