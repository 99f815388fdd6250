import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { CONFIG } from '@flywheel/platform';
import { StorageModule, storageConfigOf } from '@flywheel/storage';
import { type DeployerConfig } from './deployer.config';
import { DeploymentChangeEntity } from './deployments/deployment-change.entity';
import { DeploymentEntity } from './deployments/deployment.entity';
import { DeploymentsModule, type DeploymentsModuleOverrides } from './deployments/deployments.module';
import { OpenInferenceModule } from './inference/open-inference.module';
import { ModelVersionEntity } from './deployments/model-version.entity';
import { CreateDeployer1770500000000 } from './migrations/1770500000000-create-deployer';
import { DeploymentsNotify1772000000000 } from './migrations/1772000000000-deployments-notify';
import { DeploymentChanges1776000000000 } from './migrations/1776000000000-deployment-changes';

export const DEPLOYER_ENTITIES = [DeploymentEntity, ModelVersionEntity, DeploymentChangeEntity];
export const DEPLOYER_MIGRATIONS = [CreateDeployer1770500000000, DeploymentsNotify1772000000000, DeploymentChanges1776000000000];

@Module({})
export class AppModule {
  static forRoot(config: DeployerConfig, overrides: DeploymentsModuleOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forServiceAsync({
          entities: DEPLOYER_ENTITIES,
          migrations: DEPLOYER_MIGRATIONS,
          inject: [CONFIG],
          useFactory: (c: DeployerConfig) => ({ url: c.DATABASE_URL, applicationName: 'flywheel-deployer' }),
        }),
        MessagingModule.forService({
          service: 'deployer',
          brokers: config.KAFKA_BROKERS,
          topics: [Topics.deployerEvents, Topics.predictions],
        }),
        StorageModule.forRoot(storageConfigOf(config)),
        DeploymentsModule.register(overrides),
        OpenInferenceModule,
      ],
    };
  }
}
