import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule, platformMetricsSink } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { CONFIG, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { StorageModule } from '@flywheel/storage';
import { DatasetsModule } from './datasets/datasets.module';
import { type IngestionConfig } from './ingestion.config';
import { CreateIngestionTables1770100000000 } from './migrations/1770100000000-create-ingestion-tables';

export const INGESTION_MIGRATIONS = [CreateIngestionTables1770100000000];

@Module({})
export class AppModule {
  static forConfig(config: IngestionConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forServiceAsync({
          entities: [],
          migrations: INGESTION_MIGRATIONS,
          inject: [CONFIG],
          useFactory: (c: IngestionConfig) => ({ url: c.DATABASE_URL, applicationName: 'flywheel-ingestion', statementTimeoutMs: c.GRPC_DEADLINE_MS }),
        }),
        MessagingModule.forRootAsync({
          inject: [CONFIG, JsonLogger, PlatformMetrics],
          useFactory: (c: IngestionConfig, logger: JsonLogger, metrics: PlatformMetrics) => ({
            service: 'ingestion',
            brokers: c.KAFKA_BROKERS,
            topics: [Topics.ingestionEvents],
            metrics: platformMetricsSink(metrics),
            logger,
          }),
        }),
        StorageModule.forRoot({
          endpoint: config.S3_ENDPOINT,
          accessKey: config.S3_ACCESS_KEY,
          secretKey: config.S3_SECRET_KEY,
          bucket: config.S3_BUCKET,
          region: config.S3_REGION,
        }),
        DatasetsModule,
      ],
    };
  }
}
