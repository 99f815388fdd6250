import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { AlertEntity } from './alerts/alert.entity';
import { AlertRepository, TypeOrmAlertRepository } from './alerts/alert.repository';
import { MonitorQueryService } from './api/monitor-query.service';
import { MonitorGrpcController } from './api/monitor.grpc-controller';
import { MONITOR_MIGRATIONS } from './migrations/1771000000000-create-monitor-tables';
import { type MonitorConfig } from './monitor.config';
import { MonitoringPolicyEntity } from './policy/monitoring-policy.entity';
import { MonitoringPolicyService } from './policy/monitoring-policy.service';
import { PolicyRepository, TypeOrmPolicyRepository } from './policy/policy.repository';
import { DeploymentEntity } from './reference/deployment.entity';
import { ReferenceProfileEntity } from './reference/reference-profile.entity';
import { ReferenceConsumer } from './reference/reference.consumer';
import { ReferenceRepository, TypeOrmReferenceRepository } from './reference/reference.repository';
import { DriftReportEntity } from './windows/drift-report.entity';
import { MonitorWindowEntity } from './windows/monitor-window.entity';
import { PredictionIndexEntity } from './windows/prediction-index.entity';
import { PredictionConsumer } from './windows/prediction.consumer';
import { WindowJournalEntity } from './windows/window-journal.entity';
import { TypeOrmWindowRepository, WindowRepository } from './windows/window.repository';
import { JoinIndexPruner } from './windows/join-index-pruner';
import { DriftMetrics } from './windows/drift-metrics';
import { WindowService } from './windows/window.service';

export const MONITOR_ENTITIES = [
  MonitoringPolicyEntity,
  ReferenceProfileEntity,
  DeploymentEntity,
  PredictionIndexEntity,
  WindowJournalEntity,
  MonitorWindowEntity,
  DriftReportEntity,
  AlertEntity,
];

@Module({})
export class AppModule {
  static forConfig(config: MonitorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forService({
          url: config.DATABASE_URL,
          applicationName: 'flywheel-monitor',
          entities: MONITOR_ENTITIES,
          migrations: MONITOR_MIGRATIONS,
        }),
        MessagingModule.forService({ service: 'monitor', brokers: config.KAFKA_BROKERS, topics: [Topics.monitorEvents] }),
      ],
      controllers: [MonitorGrpcController],
      providers: [
        { provide: PolicyRepository, useClass: TypeOrmPolicyRepository },
        { provide: ReferenceRepository, useClass: TypeOrmReferenceRepository },
        { provide: WindowRepository, useClass: TypeOrmWindowRepository },
        { provide: AlertRepository, useClass: TypeOrmAlertRepository },
        MonitoringPolicyService,
        DriftMetrics,
        WindowService,
        JoinIndexPruner,
        PredictionConsumer,
        ReferenceConsumer,
        MonitorQueryService,
      ],
    };
  }
}
