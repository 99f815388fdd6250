import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { AlertRepository } from './alerts/alert.repository';
import { MonitorQueryService } from './api/monitor-query.service';
import { MonitorGrpcController } from './api/monitor.grpc-controller';
import { MONITOR_MIGRATIONS } from './migrations/1771000000000-create-monitor-tables';
import { type MonitorConfig } from './monitor.config';
import { PolicyRepository, PostgresPolicyRepository } from './policy/policy.repository';
import { ReferenceConsumer } from './reference/reference.consumer';
import { ReferenceRepository } from './reference/reference.repository';
import { PredictionConsumer } from './windows/prediction.consumer';
import { WindowRepository } from './windows/window.repository';
import { WindowService } from './windows/window.service';

@Module({})
export class AppModule {
  static forConfig(config: MonitorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forService({ url: config.DATABASE_URL, applicationName: 'flywheel-monitor', entities: [], migrations: MONITOR_MIGRATIONS }),
        MessagingModule.forService({ service: 'monitor', brokers: config.KAFKA_BROKERS, topics: [Topics.monitorEvents] }),
      ],
      controllers: [MonitorGrpcController],
      providers: [
        { provide: PolicyRepository, useClass: PostgresPolicyRepository },
        ReferenceRepository,
        WindowRepository,
        AlertRepository,
        WindowService,
        PredictionConsumer,
        ReferenceConsumer,
        MonitorQueryService,
      ],
    };
  }
}
