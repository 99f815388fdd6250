import { GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { FeatureStoreModule, SERVICE_NAME } from './app.module';
import { type FeatureStoreConfig, featureStoreConfigSchema } from './feature-store.config';

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
    },
    config,
    handleSignals: options.handleSignals,
  });
}
