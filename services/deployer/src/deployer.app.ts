import { join } from 'node:path';
import { GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { AppModule } from './app.module';
import { type DeploymentsModuleOverrides } from './deployments/deployments.module';
import { type DeployerConfig, deployerConfigSchema } from './deployer.config';

/** Starts the deployer in this process (main.ts, and integration tests with their own environment). */
export async function startDeployerService(
  env: NodeJS.ProcessEnv | Record<string, string>,
  options: DeploymentsModuleOverrides & { handleSignals?: boolean } = {},
): Promise<RunningService<DeployerConfig>> {
  const config = loadConfig(deployerConfigSchema, env);
  return bootstrapService({
    name: 'deployer',
    module: AppModule.forRoot(config, options),
    grpc: {
      package: GrpcServices.deployer.packageName,
      protoPath: join(protoRoot(), GrpcServices.deployer.protoPath),
      loader: { includeDirs: [protoRoot()] },
    },
    config,
    handleSignals: options.handleSignals ?? false,
  });
}
