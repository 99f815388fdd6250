import { Module } from '@nestjs/common';
import { CommitScheduler } from './commit-scheduler';
import { DatasetsGrpcController } from './datasets.grpc-controller';
import { DatasetsRepository, TypeOrmDatasetsRepository } from './datasets.repository';
import { DatasetsService } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';

@Module({
  controllers: [DatasetsGrpcController],
  providers: [{ provide: DatasetsRepository, useClass: TypeOrmDatasetsRepository }, DatasetsService, IngestTopicConsumers, CommitScheduler],
})
export class DatasetsModule {}
