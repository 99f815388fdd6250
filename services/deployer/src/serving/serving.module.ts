import { Module } from '@nestjs/common';
import { CONFIG } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { DeploymentStoreModule } from '../deployments/deployment-store.module';
import { PredictionLogModule } from '../prediction-log/prediction-log.module';
import { ArtifactParser, WorkerArtifactParser } from './artifact-parser';
import { FeedbackConsumer } from './feedback.consumer';
import { LiveStats } from './live-stats';
import { ModelLoader, ObjectStoreModelLoader } from './model-loader';
import { OnnxGraphs } from './onnx-graphs';
import { CachedOnlineFeatures, GrpcOnlineFeatures, OnlineFeatures } from './online-features';
import { OnlineFeaturesInvalidator } from './online-features.invalidator';
import { PredictionService } from './prediction.service';
import { ServedModels } from './served-models';
import { ServingMetrics } from './serving-metrics';

@Module({
  imports: [DeploymentStoreModule, PredictionLogModule],
  providers: [
    {
      provide: LiveStats,
      inject: [CONFIG],
      useFactory: (config: DeployerConfig) =>
        new LiveStats({ latencyWindow: config.LATENCY_WINDOW, joinWindow: config.FEEDBACK_JOIN_WINDOW }),
    },
    { provide: ArtifactParser, useClass: WorkerArtifactParser },
    OnnxGraphs,
    { provide: ModelLoader, useClass: ObjectStoreModelLoader },
    GrpcOnlineFeatures,
    CachedOnlineFeatures,
    { provide: OnlineFeatures, useExisting: CachedOnlineFeatures },
    OnlineFeaturesInvalidator,
    ServedModels,
    ServingMetrics,
    PredictionService,
    FeedbackConsumer,
  ],
  exports: [LiveStats, ServedModels, ServingMetrics, PredictionService],
})
export class ServingModule {}
