import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { StorageModule, storageConfigOf } from '@flywheel/storage';
import { CreateTrainerTables1770300000000 } from './migrations/1770300000000-create-trainer-tables';
import { RunsNotify1772000000000 } from './migrations/1772000000000-runs-notify';
import { RunsNotifyStatus1773000000000 } from './migrations/1773000000000-runs-notify-status';
import { TrialRuns1774000000000 } from './migrations/1774000000000-trial-runs';
import { DatasetVersionEntity } from './retraining/dataset-version.entity';
import { ModelStateEntity } from './retraining/model-state.entity';
import { RetrainingDecisionEntity } from './retraining/retraining-decision.entity';
import { RetrainingPolicyEntity } from './retraining/retraining-policy.entity';
import { RetrainingConsumer } from './retraining/retraining.consumer';
import { RetrainingRepository, TypeOrmRetrainingRepository } from './retraining/retraining.repository';
import { RetrainingService } from './retraining/retraining.service';
import { RunEntity } from './runs/run.entity';
import { RunsRepository, TypeOrmRunsRepository } from './runs/runs.repository';
import { RunArtifactsService } from './runs/run-artifacts.service';
import { QueueSignal, RunsService } from './runs/runs.service';
import { SpecAdmission } from './runs/spec-admission';
import { TrainCommandGate } from './runs/train-command-gate';
import { TrainCommandConsumer } from './runs/train-command.consumer';
import { TrainerGrpcController } from './runs/trainer.grpc-controller';
import { codeVersion } from './system/code-version';
import { OutboxTrainerEvents, TrainerEvents } from './system/trainer-events';
import { type TrainerConfig } from './trainer.config';
import { FeatureStorePort } from './training/feature-store.port';
import { GrpcFeatureStore } from './training/grpc-feature-store';
import { CODE_VERSION, TrainingPipeline } from './training/training-pipeline';
import { TrainingThreads } from './training/training-threads';
import { TrainingWorker } from './training/training-worker';

export const TRAINER_MIGRATIONS = [
  CreateTrainerTables1770300000000,
  RunsNotify1772000000000,
  RunsNotifyStatus1773000000000,
  TrialRuns1774000000000,
];
export const TRAINER_ENTITIES = [RunEntity, ModelStateEntity, RetrainingPolicyEntity, RetrainingDecisionEntity, DatasetVersionEntity];

export interface TrainerModuleOverrides {
  /** Replaces the gRPC feature store, e.g. by a port serving a prepared training set. */
  readonly featureStore?: FeatureStorePort;
}

/** The trainer: its database, Kafka (outbox relay and consumers), the object store, and its features. */
@Module({})
export class TrainerAppModule {
  static forRoot(config: TrainerConfig, overrides: TrainerModuleOverrides = {}): DynamicModule {
    return {
      module: TrainerAppModule,
      imports: [
        PersistenceModule.forServiceAsync({
          entities: TRAINER_ENTITIES,
          migrations: TRAINER_MIGRATIONS,
          useFactory: () => ({ url: config.DATABASE_URL, applicationName: 'flywheel-trainer' }),
        }),
        MessagingModule.forService({
          service: 'trainer',
          brokers: config.KAFKA_BROKERS,
          topics: [Topics.trainerEvents, Topics.trainerCommands],
        }),
        StorageModule.forRoot(storageConfigOf(config)),
      ],
      controllers: [TrainerGrpcController],
      providers: [
        { provide: CODE_VERSION, useValue: codeVersion(config.FLYWHEEL_CODE_VERSION) },
        overrides.featureStore
          ? { provide: FeatureStorePort, useValue: overrides.featureStore }
          : { provide: FeatureStorePort, useClass: GrpcFeatureStore },
        { provide: RunsRepository, useClass: TypeOrmRunsRepository },
        { provide: RetrainingRepository, useClass: TypeOrmRetrainingRepository },
        { provide: TrainerEvents, useClass: OutboxTrainerEvents },
        TrainingWorker,
        { provide: QueueSignal, useExisting: TrainingWorker },
        TrainingPipeline,
        TrainingThreads,
        RunsService,
        RunArtifactsService,
        SpecAdmission,
        TrainCommandGate,
        RetrainingService,
        TrainCommandConsumer,
        RetrainingConsumer,
      ],
    };
  }
}
