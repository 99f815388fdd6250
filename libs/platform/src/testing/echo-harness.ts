import { protoRoot } from '@flywheel/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { type DynamicModule, type Type } from '@nestjs/common';
import { freePort } from '@flywheel/test-kit';
import { issueToken } from '../auth/token-file';
import { Role } from '../auth/role';
import { baseConfigSchema, type BaseConfig } from '../config/base-config.schema';
import { loadConfig } from '../config/load-config';
import { bootstrapService, type RunningService } from '../bootstrap/bootstrap-service';
import { JsonLogger } from '../logging/json-logger';
import { ECHO_PACKAGE, ECHO_PROTO_PATH, EchoModule } from './echo-app';
import { echoDescriptorSet } from './echo-descriptor-set';

export interface EchoHarness {
  readonly service: RunningService;
  readonly dir: string;
  readonly tokensFile: string;
  readonly tokens: { readonly reader: string; readonly writer: string; readonly admin: string };
  /** Every log line the service wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  client(credentials?: grpc.ChannelCredentials, channelOptions?: grpc.ChannelOptions): EchoClient;
  healthClient(credentials?: grpc.ChannelCredentials): grpc.Client;
  stop(): Promise<void>;
}

export type EchoClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;

export async function startEchoService(
  options: { env?: Record<string, string>; module?: Type<unknown> | DynamicModule; tokensPollIntervalMs?: number } = {},
): Promise<EchoHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-platform-'));
  const tokensFile = join(dir, 'tokens.json');
  const tokens = {
    reader: issueToken(tokensFile, { team: 'analysts', roles: [Role.Read] }).token,
    writer: issueToken(tokensFile, { team: 'fraud', roles: [Role.Write] }).token,
    admin: issueToken(tokensFile, { team: 'platform', roles: [Role.Admin] }).token,
  };
  const config: BaseConfig = loadConfig(baseConfigSchema, {
    GRPC_PORT: String(await freePort()),
    HTTP_PORT: String(await freePort()),
    DATABASE_URL: 'postgres://flywheel:secret@127.0.0.1:5433/flywheel_test',
    FLYWHEEL_TOKENS_FILE: tokensFile,
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger({
    service: 'echo',
    level: 'debug',
    write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  let service: RunningService;
  try {
    service = await bootstrapService({
      name: 'echo',
      module: options.module ?? EchoModule,
      grpc: {
        package: ECHO_PACKAGE,
        protoPath: ECHO_PROTO_PATH,
        loader: { includeDirs: [protoRoot()] },
        descriptorSets: [echoDescriptorSet()],
      },
      config,
      logger,
      handleSignals: false,
      tokensPollIntervalMs: options.tokensPollIntervalMs ?? 50,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const clients: grpc.Client[] = [];
  const definition = grpc.loadPackageDefinition(
    loadSync(ECHO_PROTO_PATH, { keepCase: false, longs: Number, defaults: true, includeDirs: [protoRoot()] }),
  ) as unknown as { flywheel: { platformtest: { v1: { EchoService: grpc.ServiceClientConstructor } } } };
  const health = grpc.loadPackageDefinition(loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return {
    service,
    dir,
    tokensFile,
    tokens,
    logs,
    client: (credentials = grpc.credentials.createInsecure(), channelOptions = {}) => {
      const client = new definition.flywheel.platformtest.v1.EchoService(service.grpcAddress, credentials, {
        'grpc.max_send_message_length': 64 * 1024 * 1024,
        ...channelOptions,
      }) as EchoClient;
      clients.push(client);
      return client;
    },
    healthClient: (credentials = grpc.credentials.createInsecure()) => {
      const client = new health.grpc.health.v1.Health(service.grpcAddress, credentials);
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const client of clients) client.close();
      await service.shutdown('test finished');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CallOutcome<T> {
  readonly code: grpc.status;
  readonly details: string;
  readonly value?: T;
  readonly trailers?: grpc.Metadata;
}

/** Calls a unary method and reports its status instead of throwing. */
export function unary<T = Record<string, unknown>>(
  client: EchoClient,
  method: string,
  request: unknown,
  options: { token?: string; deadlineMs?: number; metadata?: Record<string, string> } = {},
): Promise<CallOutcome<T>> {
  const metadata = new grpc.Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const callOptions: grpc.CallOptions = options.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {};
  return new Promise((resolve) => {
    client[method](request, metadata, callOptions, (error: grpc.ServiceError | null, value: T) => {
      if (error) resolve({ code: error.code, details: error.details, trailers: error.metadata });
      else resolve({ code: grpc.status.OK, details: '', value });
    });
  });
}
