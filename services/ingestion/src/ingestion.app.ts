import { join } from 'node:path';
import { GrpcServices, protoRoot } from '@flywheel/contracts';
import { bootstrapService, loadConfig, type RunningService } from '@flywheel/platform';
import { AppModule } from './app.module';
import { decodeIngestRequest } from './datasets/ingest-request-decoder';
import { ingestionConfigSchema, type IngestionConfig } from './ingestion.config';

export interface StartOptions {
  /** Install SIGTERM/SIGINT handlers (default true; in-process tests say false). */
  handleSignals?: boolean;
}

/** Boots the ingestion service: config from `env`, database and migrations, Kafka, gRPC, HTTP. */
export async function startIngestionService(
  env: NodeJS.ProcessEnv | Record<string, string>,
  options: StartOptions = {},
): Promise<RunningService<IngestionConfig>> {
  const config = loadConfig(ingestionConfigSchema, env);
  const { packageName, serviceName } = GrpcServices.ingestion;
  return bootstrapService({
    name: 'ingestion',
    module: AppModule.forConfig(config),
    grpc: {
      package: GrpcServices.ingestion.packageName,
      protoPath: join(protoRoot(), GrpcServices.ingestion.protoPath),
      loader: { includeDirs: [protoRoot()] },
      // Rows stay bytes until a compute thread decodes and judges them.
      requestDecoders: {
        [`/${packageName}.${serviceName}/Ingest`]: decodeIngestRequest,
        [`/${packageName}.${serviceName}/IngestStream`]: decodeIngestRequest,
      },
    },
    config,
    handleSignals: options.handleSignals ?? true,
  });
}
