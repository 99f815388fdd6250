import { GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { join } from 'node:path';
import { RegistryModule } from './app.module';
import { type RegistryConfig, registryConfigSchema } from './registry.config';

/** Boots the registry from an environment (process.env in production, a test's in tests). */
export async function startRegistryService(
  env: NodeJS.ProcessEnv | Record<string, string>,
  options: { handleSignals?: boolean } = {},
): Promise<RunningService<RegistryConfig>> {
  const config = loadConfig(registryConfigSchema, env);
  return bootstrapService({
    name: 'registry',
    module: RegistryModule.forConfig(config),
    grpc: {
      package: GrpcServices.registry.packageName,
      protoPath: join(protoRoot(), GrpcServices.registry.protoPath),
      loader: { includeDirs: [protoRoot()] },
    },
    config,
    handleSignals: options.handleSignals ?? env === process.env,
  });
}
