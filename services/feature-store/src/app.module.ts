import { type DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@flywheel/contracts';
import { MessagingModule } from '@flywheel/messaging';
import { PersistenceModule } from '@flywheel/persistence';
import { StorageModule, storageConfigOf } from '@flywheel/storage';
import { FeatureStoreGrpcController } from './api/feature-store.grpc-controller';
import { DatasetCatalogRepository, TypeOrmDatasetCatalogRepository } from './datasets/dataset-catalog.repository';
import { DatasetVersionEntity } from './datasets/dataset-version.entity';
import { DatasetEntity } from './datasets/dataset.entity';
import { GrpcIngestionDatasets, IngestionDatasets } from './datasets/ingestion-datasets';
import { type FeatureStoreConfig } from './feature-store.config';
import { FeatureViewRepository, TypeOrmFeatureViewRepository } from './feature-views/feature-view.repository';
import { FeatureViewEntity } from './feature-views/feature-view.entity';
import { FeatureViewsService } from './feature-views/feature-views.service';
import { DatasetReader, ObjectStoreDatasetReader } from './materialisation/dataset-reader';
import { FeatureStoresRepository, TypeOrmFeatureStoresRepository } from './materialisation/feature-stores.repository';
import { IngestionEventsConsumer } from './materialisation/ingestion-events.consumer';
import { MaterialisationEntity } from './materialisation/materialisation.entity';
import { Materialiser } from './materialisation/materialiser.service';
import { OfflineFeatureEntity } from './materialisation/offline-feature.entity';
import { OnlineFeatureEntity } from './materialisation/online-feature.entity';
import { FEATURE_STORE_MIGRATIONS } from './migrations/1770200000000-create-feature-store';
import { HistoricalFeaturesService } from './serving/historical-features.service';
import { TrainingSetThreads } from './serving/training-set-threads';
import { OnlineCache } from './serving/online-cache';
import { SpineColumns } from './serving/spine-columns';
import { OnlineCacheInvalidator } from './serving/online-cache.consumer';
import { OnlineFeaturesService } from './serving/online-features.service';

export const SERVICE_NAME = 'feature-store';

// Calls to the ingestion service happen inside an apply call; they must leave it time to finish.
const INGESTION_CALL_DEADLINE_MS = 5_000;

/** The tables the feature store maps. */
export const FEATURE_STORE_ENTITIES = [
  DatasetEntity,
  DatasetVersionEntity,
  FeatureViewEntity,
  MaterialisationEntity,
  OfflineFeatureEntity,
  OnlineFeatureEntity,
];

@Module({})
export class FeatureStoreModule {
  static forRoot(config: FeatureStoreConfig): DynamicModule {
    return {
      module: FeatureStoreModule,
      imports: [
        PersistenceModule.forService({
          url: config.DATABASE_URL,
          entities: FEATURE_STORE_ENTITIES,
          migrations: FEATURE_STORE_MIGRATIONS,
          applicationName: `flywheel-${SERVICE_NAME}`,
          statementTimeoutMs: config.GRPC_DEADLINE_MS,
        }),
        MessagingModule.forService({ service: SERVICE_NAME, brokers: config.KAFKA_BROKERS, topics: [Topics.featureStoreEvents] }),
        StorageModule.forRoot(storageConfigOf(config)),
      ],
      controllers: [FeatureStoreGrpcController],
      providers: [
        { provide: DatasetCatalogRepository, useClass: TypeOrmDatasetCatalogRepository },
        { provide: FeatureViewRepository, useClass: TypeOrmFeatureViewRepository },
        { provide: FeatureStoresRepository, useClass: TypeOrmFeatureStoresRepository },
        { provide: DatasetReader, useClass: ObjectStoreDatasetReader },
        {
          provide: IngestionDatasets,
          useFactory: () =>
            new GrpcIngestionDatasets({
              address: config.INGESTION_GRPC_ADDRESS,
              token: config.FLYWHEEL_SERVICE_TOKEN,
              deadlineMs: INGESTION_CALL_DEADLINE_MS,
            }),
        },
        Materialiser,
        FeatureViewsService,
        OnlineCache,
        OnlineFeaturesService,
        HistoricalFeaturesService,
        TrainingSetThreads,
        SpineColumns,
        IngestionEventsConsumer,
        OnlineCacheInvalidator,
      ],
    };
  }
}
