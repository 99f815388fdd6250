import { GRPC_LOADER_OPTIONS, GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { join } from 'node:path';
import { TrainerAppModule, type TrainerModuleOverrides } from './app.module';
import { type TrainerConfig, trainerConfigSchema } from './trainer.config';

/** Boots the trainer from an environment (the process's, or a test's) and resolves once it serves. */
export async function startTrainerService(
  env: NodeJS.ProcessEnv | Record<string, string>,
  overrides: TrainerModuleOverrides & { handleSignals?: boolean } = {},
): Promise<RunningService<TrainerConfig>> {
  const config = loadConfig(trainerConfigSchema, env);
  return bootstrapService({
    name: 'trainer',
    module: TrainerAppModule.forRoot(config, overrides),
    grpc: {
      package: GrpcServices.trainer.packageName,
      protoPath: join(protoRoot(), GrpcServices.trainer.protoPath),
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] },
    },
    config,
    handleSignals: overrides.handleSignals ?? false,
  });
}
