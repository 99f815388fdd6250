import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { StorageModule, storageConfigOf } from '@flywheel/storage';
import { CreateTrainerTables1770300000000 } from './migrations/1770300000000-create-trainer-tables';
import { RetrainingConsumer } from './retraining/retraining.consumer';
import { RetrainingRepository, SqlRetrainingRepository } from './retraining/retraining.repository';
import { RetrainingService } from './retraining/retraining.service';
import { RunsRepository, SqlRunsRepository } from './runs/runs.repository';
import { QueueSignal, RunsService } from './runs/runs.service';
import { TrainCommandConsumer } from './runs/train-command.consumer';
import { TrainerGrpcController } from './runs/trainer.grpc-controller';
import { Clock, SystemClock } from '@flywheel/platform';
import { codeVersion } from './system/code-version';
import { OutboxTrainerEvents, TrainerEvents } from './system/trainer-events';
import { type TrainerConfig } from './trainer.config';
import { FeatureStorePort } from './training/feature-store.port';
import { GrpcFeatureStore } from './training/grpc-feature-store';
import { CODE_VERSION, TrainingPipeline } from './training/training-pipeline';
import { TrainingWorker } from './training/training-worker';

export const TRAINER_MIGRATIONS = [CreateTrainerTables1770300000000];

export interface TrainerModuleOverrides {
  /** Replaces the gRPC feature store, e.g. by a port serving a prepared training set. */
  readonly featureStore?: FeatureStorePort;
  readonly clock?: Clock;
}

/** The trainer: its database, Kafka (outbox relay and consumers), the object store, and its features. */
@Module({})
export class TrainerAppModule {
  static forRoot(config: TrainerConfig, overrides: TrainerModuleOverrides = {}): DynamicModule {
    return {
      module: TrainerAppModule,
      imports: [
        PersistenceModule.forServiceAsync({
          entities: [],
          migrations: TRAINER_MIGRATIONS,
          useFactory: () => ({ url: config.DATABASE_URL, applicationName: 'flywheel-trainer' }),
        }),
        MessagingModule.forService({ service: 'trainer', brokers: config.KAFKA_BROKERS, topics: [Topics.trainerEvents, Topics.trainerCommands] }),
        StorageModule.forRoot(storageConfigOf(config)),
      ],
      controllers: [TrainerGrpcController],
      providers: [
        { provide: Clock, useValue: overrides.clock ?? new SystemClock() },
        { provide: CODE_VERSION, useValue: codeVersion(config.FLYWHEEL_CODE_VERSION) },
        overrides.featureStore ? { provide: FeatureStorePort, useValue: overrides.featureStore } : { provide: FeatureStorePort, useClass: GrpcFeatureStore },
        { provide: RunsRepository, useClass: SqlRunsRepository },
        { provide: RetrainingRepository, useClass: SqlRetrainingRepository },
        { provide: TrainerEvents, useClass: OutboxTrainerEvents },
        TrainingWorker,
        { provide: QueueSignal, useExisting: TrainingWorker },
        TrainingPipeline,
        RunsService,
        RetrainingService,
        TrainCommandConsumer,
        RetrainingConsumer,
      ],
    };
  }
}
