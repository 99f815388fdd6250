import { GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { FeatureStoreModule, SERVICE_NAME } from './app.module';
import { type FeatureStoreConfig, featureStoreConfigSchema } from './feature-store.config';
import { encodeOnlineFeaturesResponse } from './serving/online-features.mapper';

/** Boots the feature store from an environment (`process.env` in production, a test's in tests). */
export async function startFeatureStoreService(
  env: NodeJS.ProcessEnv | Record<string, string>,
  options: { handleSignals?: boolean } = {},
): Promise<RunningService<FeatureStoreConfig>> {
  const config = loadConfig(featureStoreConfigSchema, env);
  return bootstrapService({
    name: SERVICE_NAME,
    module: FeatureStoreModule.forRoot(config),
    grpc: {
      package: GrpcServices.featureStore.packageName,
      protoPath: GrpcServices.featureStore.protoPath,
      // Imports such as flywheel/common/v1/common.proto resolve against the proto root.
      loader: { includeDirs: [protoRoot()] },
      // The online read's answer, written from the objects as they are (see encodeOnlineFeaturesResponse).
      responseEncoders: {
        [`/${GrpcServices.featureStore.packageName}.${GrpcServices.featureStore.serviceName}/GetOnlineFeatures`]:
          encodeOnlineFeaturesResponse,
      },
    },
    config,
    handleSignals: options.handleSignals,
  });
}
