import { Module } from '@nestjs/common';
import { CommitScheduler } from './commit-scheduler';
import { DatasetsGrpcController } from './datasets.grpc-controller';
import { DatasetsRepository, TypeOrmDatasetsRepository } from './datasets.repository';
import { DatasetMetrics } from './dataset-metrics';
import { DatasetsService } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';
import { IngestionCompute, WorkerIngestionCompute } from './ingestion-compute';

@Module({
  controllers: [DatasetsGrpcController],
  providers: [
    { provide: DatasetsRepository, useClass: TypeOrmDatasetsRepository },
    { provide: IngestionCompute, useClass: WorkerIngestionCompute },
    DatasetMetrics,
    DatasetsService,
    IngestTopicConsumers,
    CommitScheduler,
  ],
})
export class DatasetsModule {}
