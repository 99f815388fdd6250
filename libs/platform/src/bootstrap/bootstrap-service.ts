import { type IncomingHttpHeaders } from 'node:http';
import { type DynamicModule, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Server } from '@grpc/grpc-js';
import { MethodRoles } from '../auth/method-roles';
import { authorizeCall } from '../auth/authorize-call';
import { TokenStore } from '../auth/token-store';
import { type BaseConfig } from '../config/base-config.schema';
import { GrpcHealth } from '../grpc/grpc-health';
import { grpcServerOptions, grpcUrl, type ProtoLoaderOptions } from '../grpc/grpc-server-options';
import { type RequestDecoders, type ResponseEncoders } from '../grpc/message-codecs';
import { HealthRegistry } from '../http/health-registry';
import { metadataOfHeaders } from '../http/http-api';
import { type HttpEndpoints, type HttpRoutes, startHttpEndpoints } from '../http/http-server';
import { type CallerIdentity } from '../auth/caller-identity';
import { type Role } from '../auth/role';
import { PlatformMetrics } from '../http/platform-metrics';
import { JsonLogger } from '../logging/json-logger';
import { PlatformModule } from './platform.module';

export interface BootstrapOptions<C extends BaseConfig> {
  /** The service's name as it appears in logs, e.g. `registry`. */
  readonly name: string;
  /** The service's root module. Kafka consumers and pools live here as providers with lifecycle hooks. */
  readonly module: Type<unknown> | DynamicModule;
  readonly grpc: {
    readonly package: string | readonly string[];
    readonly protoPath: string | readonly string[];
    readonly loader?: ProtoLoaderOptions;
    /** Methods whose requests the service decodes itself (see useRequestDecoders). */
    readonly requestDecoders?: RequestDecoders;
    /** Methods whose responses the service encodes itself (see useResponseEncoders). */
    readonly responseEncoders?: ResponseEncoders;
    /** FileDescriptorSets of .proto files outside proto/, which reflection must describe. */
    readonly descriptorSets?: readonly Uint8Array[];
    /** Roles of the methods of services whose .proto carries none (see MethodRoles.declare). */
    readonly roles?: Readonly<Record<string, Readonly<Record<string, Role>>>>;
  };
  /** The service's own HTTP API on its HTTP port, mounted once its module has started. */
  readonly http?: (context: HttpApiContext) => HttpRoutes;
  /** From `loadConfig(...)`, validated and frozen. */
  readonly config: C;
  /** Defaults to JSON lines on stdout at LOG_LEVEL. */
  readonly logger?: JsonLogger;
  /** Install SIGTERM/SIGINT handlers that shut down and exit (default true; tests say false). */
  readonly handleSignals?: boolean;
  /** How often the tokens file is polled for changes (default 1000 ms). */
  readonly tokensPollIntervalMs?: number;
}

export interface HttpApiContext {
  readonly app: INestMicroservice;
  /** The caller of an HTTP request, checked as a gRPC call is (Authorization: Bearer <token>); throws AuthException. */
  authorize(headers: IncomingHttpHeaders, role: Role, what: string): CallerIdentity;
}

export interface RunningService<C extends BaseConfig = BaseConfig> {
  readonly app: INestMicroservice;
  readonly config: C;
  readonly logger: JsonLogger;
  readonly grpcHealth: GrpcHealth;
  readonly health: HealthRegistry;
  readonly metrics: PlatformMetrics;
  /** `host:port` of the gRPC server. */
  readonly grpcAddress: string;
  /** `http://host:port` serving `/healthz` and `/metrics`. */
  readonly httpUrl: string;
  /**
   * Graceful shutdown, once however often it is called: health NOT_SERVING, stop accepting
   * calls, let in-flight ones finish within SHUTDOWN_TIMEOUT_MS (then cancel them), run the
   * Nest shutdown hooks (consumers stop, pools close), close the HTTP endpoints.
   */
  shutdown(reason?: string): Promise<void>;
}

/**
 * Starts a Flywheel service: the HTTP endpoints, then the Nest application with its gRPC
 * server, and marks it SERVING. Anything that fails on the way (config already checked by
 * `loadConfig`, tokens file, a gRPC method without a role, a port in use) rejects, after
 * releasing what was already started.
 */
export async function bootstrapService<C extends BaseConfig>(options: BootstrapOptions<C>): Promise<RunningService<C>> {
  const started = performance.now();
  const { config, name } = options;
  const logger = options.logger ?? new JsonLogger({ service: name, level: config.LOG_LEVEL });
  // Each RPC's role comes from its .proto; read before anything starts, so a bad file fails fast.
  const packages = typeof options.grpc.package === 'string' ? [options.grpc.package] : [...options.grpc.package];
  const roles = MethodRoles.fromProtos(options.grpc.protoPath, packages, options.grpc.loader).declare(options.grpc.roles ?? {});

  const tokens = TokenStore.open(config.FLYWHEEL_TOKENS_FILE, {
    pollIntervalMs: options.tokensPollIntervalMs,
    onReload: (count) => logger.entry('info', 'tokens loaded', { file: config.FLYWHEEL_TOKENS_FILE, tokens: count }),
    onReloadError: (error) =>
      logger.entry('error', 'tokens file reload failed; keeping the tokens already loaded', {
        file: config.FLYWHEEL_TOKENS_FILE,
        error: error.message,
      }),
  });
  const metrics = new PlatformMetrics();
  const health = new HealthRegistry();
  const grpcHealth = new GrpcHealth();
  health.register({
    name: 'grpc',
    check: () => {
      if (grpcHealth.status !== 'SERVING') throw new Error(`gRPC server is ${grpcHealth.status}`);
    },
  });

  const cleanups: Array<() => Promise<void> | void> = [() => tokens.close()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  let http: HttpEndpoints;
  let app: INestMicroservice;
  let grpcServer: Server | undefined;
  try {
    http = await startHttpEndpoints({
      host: config.HTTP_HOST,
      port: config.HTTP_PORT,
      health,
      metrics,
      onError: (error) => logger.entry('error', 'HTTP endpoint failed', { error: error.message, stack: error.stack }),
    });
    cleanups.push(() => http.close());

    const root: DynamicModule = {
      module: class FlywheelServiceRoot {},
      imports: [PlatformModule.forRoot({ name, config, logger, tokens, health, metrics, grpcHealth, roles }), options.module],
    };
    app = await NestFactory.createMicroservice(root, {
      ...grpcServerOptions({
        config,
        package: options.grpc.package,
        protoPath: options.grpc.protoPath,
        loader: options.grpc.loader,
        requestDecoders: options.grpc.requestDecoders,
        responseEncoders: options.grpc.responseEncoders,
        descriptorSets: options.grpc.descriptorSets,
        health: grpcHealth,
        metrics,
        authorize: (metadata, path) => authorizeCall(tokens, metadata, roles.roleOfPath(path), path),
        onServer: (server) => (grpcServer = server),
      }),
      logger,
      // Fail the promise instead of exiting the process, so the caller decides.
      abortOnError: false,
    });
    cleanups.push(() => app.close());
    await app.listen();
    if (options.http) {
      const authorize = (headers: IncomingHttpHeaders, role: Role, what: string) =>
        authorizeCall(tokens, metadataOfHeaders(headers), role, what);
      http.mount(options.http({ app, authorize }));
    }
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }

  grpcHealth.setServing();
  const grpcAddress = grpcUrl(config.GRPC_HOST, config.GRPC_PORT);
  logger.entry('info', 'service ready', {
    grpc: grpcAddress,
    http: http.url,
    grpcServices: grpcHealth.serviceNames.filter((service) => service !== ''),
    tls: Boolean(config.TLS_CERT_FILE),
    startupMs: Math.round(performance.now() - started),
    processUptimeMs: Math.round(process.uptime() * 1000),
  });

  let stopping: Promise<void> | undefined;
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    running.shutdown(signal).then(
      () => process.exit(0),
      (error: Error) => {
        logger.entry('fatal', 'shutdown failed', { error: error.message, stack: error.stack });
        process.exit(1);
      },
    );
  };

  const running: RunningService<C> = {
    app,
    config,
    logger,
    grpcHealth,
    health,
    metrics,
    grpcAddress,
    httpUrl: http.url,
    shutdown: (reason = 'shutdown requested') => {
      stopping ??= (async () => {
        for (const signal of signals) process.off(signal, onSignal);
        const shutdownStarted = performance.now();
        logger.entry('info', 'shutting down', { reason, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
        grpcHealth.setNotServing();
        const drained = grpcServer ? await drain(grpcServer, config.SHUTDOWN_TIMEOUT_MS) : true;
        if (!drained) {
          logger.entry('warn', 'in-flight gRPC calls outlived the shutdown timeout and were cancelled', {
            timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
          });
        }
        await cleanUp();
        logger.entry('info', 'service stopped', { durationMs: Math.round(performance.now() - shutdownStarted) });
      })();
      return stopping;
    },
  };
  if (options.handleSignals ?? true) {
    for (const signal of signals) process.once(signal, onSignal);
  }
  return running;
}

/** Stops accepting calls and waits for in-flight ones; past the timeout, cancels them. */
function drain(server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve(false);
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
