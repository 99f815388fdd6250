import { join } from 'node:path';
import { GrpcServices, OpenInferenceService, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, Role, type RunningService } from '@flywheel/platform';
import { AppModule } from './app.module';
import { type DeploymentsModuleOverrides } from './deployments/deployments.module';
import { type DeployerConfig, deployerConfigSchema } from './deployer.config';
import { openInferenceRoutes } from './inference/open-inference.routes';

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
      package: [GrpcServices.deployer.packageName, OpenInferenceService.packageName],
      protoPath: [join(protoRoot(), GrpcServices.deployer.protoPath), join(protoRoot(), OpenInferenceService.protoPath)],
      loader: { includeDirs: [protoRoot()] },
      // The protocol's .proto is not ours to annotate: its methods take the roles of their Flywheel twins.
      roles: {
        [`${OpenInferenceService.packageName}.${OpenInferenceService.serviceName}`]: {
          ServerLive: Role.Read,
          ServerReady: Role.Read,
          ModelReady: Role.Read,
          ServerMetadata: Role.Read,
          ModelMetadata: Role.Read,
          ModelInfer: Role.Read,
        },
      },
    },
    http: openInferenceRoutes,
    config,
    handleSignals: options.handleSignals ?? false,
  });
}
