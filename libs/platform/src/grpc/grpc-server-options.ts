import { readFileSync } from 'node:fs';
import { type Metadata, type Server, ServerCredentials } from '@grpc/grpc-js';
import { type PackageDefinition } from '@grpc/proto-loader';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { GRPC_LOADER_OPTIONS } from '@flywheel/contracts';
import { type BaseConfig } from '../config/base-config.schema';
import { type PlatformMetrics } from '../http/platform-metrics';
import { createCallInterceptor } from './call-interceptor';
import { FLOW_CONTROL_WINDOW_OPTION } from './flow-control';
import { type GrpcHealth } from './grpc-health';
import { addReflection, serviceNames } from './grpc-reflection';
import {
  markUndecodableRequests,
  type RequestDecoders,
  type ResponseEncoders,
  useRequestDecoders,
  useResponseEncoders,
} from './message-codecs';

export type ProtoLoaderOptions = NonNullable<GrpcOptions['options']['loader']>;

export interface GrpcServerSetup {
  readonly config: Pick<
    BaseConfig,
    | 'GRPC_HOST'
    | 'GRPC_PORT'
    | 'GRPC_MAX_MESSAGE_BYTES'
    | 'GRPC_DEADLINE_MS'
    | 'GRPC_FLOW_CONTROL_WINDOW_BYTES'
    | 'TLS_CERT_FILE'
    | 'TLS_KEY_FILE'
  >;
  readonly package: string | readonly string[];
  readonly protoPath: string | readonly string[];
  readonly loader?: ProtoLoaderOptions;
  readonly health: GrpcHealth;
  readonly metrics?: PlatformMetrics;
  /** Who may call a path (see CallInterceptorOptions.authorize). */
  readonly authorize?: (metadata: Metadata, path: string) => void;
  /** Methods whose requests the service decodes itself (see useRequestDecoders). */
  readonly requestDecoders?: RequestDecoders;
  /** Methods whose responses the service encodes itself (see useResponseEncoders). */
  readonly responseEncoders?: ResponseEncoders;
  /** Serialized FileDescriptorSets of .proto files outside proto/, for reflection (see addReflection). */
  readonly descriptorSets?: readonly Uint8Array[];
  /** Receives the grpc-js server once created, before any service is added (shutdown needs it). */
  readonly onServer?: (server: Server) => void;
}

/**
 * NestJS `Transport.GRPC` options for a Flywheel service: size limits, keepalive, TLS when
 * configured, the per-call interceptor (context, default deadline, metrics), and the health
 * and reflection services added beside the application's.
 */
export function grpcServerOptions(setup: GrpcServerSetup): GrpcOptions {
  const { config } = setup;
  const packages = typeof setup.package === 'string' ? [setup.package] : [...setup.package];
  const interceptor = createCallInterceptor({
    defaultDeadlineMs: config.GRPC_DEADLINE_MS,
    metrics: setup.metrics,
    authorize: setup.authorize,
  });
  return {
    transport: Transport.GRPC,
    options: {
      url: grpcUrl(config.GRPC_HOST, config.GRPC_PORT),
      package: packages,
      protoPath: typeof setup.protoPath === 'string' ? setup.protoPath : [...setup.protoPath],
      // How the generated ts-proto types expect messages (one definition, in the contracts).
      loader: { ...GRPC_LOADER_OPTIONS, ...setup.loader },
      credentials: serverCredentials(config),
      maxReceiveMessageLength: config.GRPC_MAX_MESSAGE_BYTES,
      maxSendMessageLength: config.GRPC_MAX_MESSAGE_BYTES,
      keepalive: {
        // Ping idle connections every 2 minutes so dead peers (and NAT-dropped links) are noticed.
        keepaliveTimeMs: 120_000,
        keepaliveTimeoutMs: 20_000,
        // Clients may keep their connection warm, but not ping more often than every 10 s.
        keepalivePermitWithoutCalls: 1,
        http2MinPingIntervalWithoutDataMs: 10_000,
      },
      // grpc-js reads `interceptors` from the server options Nest builds out of these.
      channelOptions: {
        interceptors: [interceptor],
        [FLOW_CONTROL_WINDOW_OPTION]: config.GRPC_FLOW_CONTROL_WINDOW_BYTES,
      } as Record<string, unknown>,
      // Shutdown drains calls itself, bounded by SHUTDOWN_TIMEOUT_MS (see bootstrapService).
      gracefulShutdown: false,
      onLoadPackageDefinition: (definition: PackageDefinition, server: Server) => {
        // Before the services are added: bytes that are no request reach the interceptor marked.
        useRequestDecoders(definition, setup.requestDecoders ?? {});
        useResponseEncoders(definition, setup.responseEncoders ?? {});
        markUndecodableRequests(definition, packages);
        setup.onServer?.(server);
        setup.health.addServices(serviceNames(definition, packages));
        setup.health.addToServer(server);
        addReflection(server, definition, setup.descriptorSets);
      },
    },
  };
}

export function grpcUrl(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** TLS from TLS_CERT_FILE/TLS_KEY_FILE when both are set, plaintext otherwise. */
export function serverCredentials(config: Pick<BaseConfig, 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>): ServerCredentials {
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    null,
    [{ cert_chain: readFileSync(config.TLS_CERT_FILE), private_key: readFileSync(config.TLS_KEY_FILE) }],
    false,
  );
}
