import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { CONFIG } from '@flywheel/platform';
import { StorageModule, storageConfigOf } from '@flywheel/storage';
import { AliasService } from './models/alias.service';
import { AuditEntryEntity } from './audit/audit-entry.entity';
import { AuditLog } from './audit/audit-log';
import { CreateRegistry1770400000000 } from './migrations/1770400000000-create-registry';
import { AutoDeploy1775000000000 } from './migrations/1775000000000-auto-deploy';
import { ModelImportService } from './imports/model-import.service';
import { OnnxRuntimeHost } from './imports/onnx-runtime.host';
import { ModelAliasEntity } from './models/model-alias.entity';
import { ModelVersionEntity } from './models/model-version.entity';
import { ModelEntity } from './models/model.entity';
import { ModelArtifactsService } from './models/model-artifacts.service';
import { ModelsService } from './models/models.service';
import { RegistryGrpcController } from './models/registry.grpc-controller';
import { RegistryRepository, TypeOrmRegistryRepository } from './models/registry.repository';
import { HoldoutScorer, ObjectStoreHoldoutScorer } from './promotion/holdout-scorer';
import { POLICY_DEFAULTS, type PolicyDefaults } from './promotion/promotion-policy';
import { PromotionPolicyEntity } from './promotion/promotion-policy.entity';
import { RunCompletedConsumer } from './promotion/run-completed.consumer';
import { RunRegistrar } from './promotion/run-registrar';
import { type RegistryConfig } from './registry.config';

export const REGISTRY_ENTITIES = [ModelEntity, ModelVersionEntity, ModelAliasEntity, PromotionPolicyEntity, AuditEntryEntity];
export const REGISTRY_MIGRATIONS = [CreateRegistry1770400000000, AutoDeploy1775000000000];

@Module({})
export class RegistryModule {
  static forConfig(config: RegistryConfig): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        PersistenceModule.forServiceAsync({
          entities: REGISTRY_ENTITIES,
          migrations: REGISTRY_MIGRATIONS,
          inject: [CONFIG],
          useFactory: (c: RegistryConfig) => ({
            url: c.DATABASE_URL,
            applicationName: 'flywheel-registry',
            statementTimeoutMs: c.GRPC_DEADLINE_MS,
          }),
        }),
        MessagingModule.forService({ service: 'registry', brokers: config.KAFKA_BROKERS, topics: [Topics.registryEvents] }),
        StorageModule.forRoot(storageConfigOf(config)),
      ],
      controllers: [RegistryGrpcController],
      providers: [
        { provide: RegistryRepository, useClass: TypeOrmRegistryRepository },
        { provide: HoldoutScorer, useClass: ObjectStoreHoldoutScorer },
        {
          provide: POLICY_DEFAULTS,
          useValue: {
            minAbsoluteImprovement: config.PROMOTION_MIN_ABSOLUTE_IMPROVEMENT,
            minRelativeImprovement: config.PROMOTION_MIN_RELATIVE_IMPROVEMENT,
            minHoldoutRows: config.PROMOTION_MIN_HOLDOUT_ROWS,
          } satisfies PolicyDefaults,
        },
        AuditLog,
        OnnxRuntimeHost,
        ModelImportService,
        AliasService,
        ModelsService,
        ModelArtifactsService,
        RunRegistrar,
        RunCompletedConsumer,
      ],
    };
  }
}
