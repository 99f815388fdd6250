import { Module } from '@nestjs/common';
import { CommitScheduler } from './commit-scheduler';
import { DatasetsGrpcController } from './datasets.grpc-controller';
import { DatasetsRepository, TypeOrmDatasetsRepository } from './datasets.repository';
import { DatasetsService } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';
import { VersionBuilder, WorkerVersionBuilder } from './version-builder';

@Module({
  controllers: [DatasetsGrpcController],
  providers: [
    { provide: DatasetsRepository, useClass: TypeOrmDatasetsRepository },
    { provide: VersionBuilder, useClass: WorkerVersionBuilder },
    DatasetsService,
    IngestTopicConsumers,
    CommitScheduler,
  ],
})
export class DatasetsModule {}
