import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { CONFIG } from '@flywheel/platform';
import { StorageModule, storageConfigOf } from '@flywheel/storage';
import { DatasetVersionEntity } from './datasets/dataset-version.entity';
import { DatasetEntity } from './datasets/dataset.entity';
import { DatasetsModule } from './datasets/datasets.module';
import { IngestBatchEntity } from './datasets/ingest-batch.entity';
import { IngestOffsetEntity } from './datasets/ingest-offset.entity';
import { PendingBatchEntity } from './datasets/pending-batch.entity';
import { QuarantinedRecordEntity } from './datasets/quarantined-record.entity';
import { RecordKeyEntity } from './datasets/record-key.entity';
import { UnregisteredTopicEntity } from './datasets/unregistered-topic.entity';
import { type IngestionConfig } from './ingestion.config';
import { CreateIngestionTables1770100000000 } from './migrations/1770100000000-create-ingestion-tables';
import { BatchIngestion1770100000001 } from './migrations/1770100000001-batch-ingestion';
import { UncompressedPendingBatches1770100000002 } from './migrations/1770100000002-uncompressed-pending-batches';
import { QuarantineReplay1770100000003 } from './migrations/1770100000003-quarantine-replay';

export const INGESTION_MIGRATIONS = [
  CreateIngestionTables1770100000000,
  BatchIngestion1770100000001,
  UncompressedPendingBatches1770100000002,
  QuarantineReplay1770100000003,
];
export const INGESTION_ENTITIES = [
  DatasetEntity,
  PendingBatchEntity,
  RecordKeyEntity,
  DatasetVersionEntity,
  QuarantinedRecordEntity,
  IngestBatchEntity,
  IngestOffsetEntity,
  UnregisteredTopicEntity,
];

@Module({})
export class AppModule {
  static forConfig(config: IngestionConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forServiceAsync({
          entities: INGESTION_ENTITIES,
          migrations: INGESTION_MIGRATIONS,
          inject: [CONFIG],
          useFactory: (c: IngestionConfig) => ({
            url: c.DATABASE_URL,
            applicationName: 'flywheel-ingestion',
            statementTimeoutMs: c.GRPC_DEADLINE_MS,
          }),
        }),
        MessagingModule.forService({ service: 'ingestion', brokers: config.KAFKA_BROKERS, topics: [Topics.ingestionEvents] }),
        StorageModule.forRoot(storageConfigOf(config)),
        DatasetsModule,
      ],
    };
  }
}
