import { join } from 'node:path';
import { GRPC_LOADER_OPTIONS, GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { AppModule } from './app.module';
import { type MonitorConfig, monitorConfigSchema } from './monitor.config';

/** Boots the monitor: config validated once, then the platform bootstrap (gRPC, HTTP, Kafka, Postgres). */
export async function startMonitorService(
  env: NodeJS.ProcessEnv,
  options: { handleSignals?: boolean } = {},
): Promise<RunningService<MonitorConfig>> {
  const config = loadConfig(monitorConfigSchema, env);
  return bootstrapService({
    name: 'monitor',
    module: AppModule.forConfig(config),
    grpc: {
      package: GrpcServices.monitor.packageName,
      protoPath: join(protoRoot(), GrpcServices.monitor.protoPath),
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] },
    },
    config,
    handleSignals: options.handleSignals,
  });
}
