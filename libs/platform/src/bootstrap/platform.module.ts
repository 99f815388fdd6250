import { type DynamicModule, Global, Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { GrpcAuthGuard } from '../auth/grpc-auth.guard';
import { MethodRoles } from '../auth/method-roles';
import { RequiredRoleCheck } from '../auth/required-role.check';
import { TokenStore } from '../auth/token-store';
import { type BaseConfig } from '../config/base-config.schema';
import { CONFIG } from '../config/config.tokens';
import { GrpcExceptionFilter } from '../errors/grpc-exception.filter';
import { GrpcHealth } from '../grpc/grpc-health';
import { HealthRegistry } from '../http/health-registry';
import { PlatformMetrics } from '../http/platform-metrics';
import { JsonLogger } from '../logging/json-logger';
import { Clock, SystemClock } from '../time/clock';

/** Nest token of the service's name, e.g. `registry`. */
export const SERVICE_NAME = Symbol.for('flywheel.platform.service-name');

export interface PlatformModuleOptions {
  readonly name: string;
  readonly config: BaseConfig;
  readonly logger: JsonLogger;
  readonly tokens: TokenStore;
  readonly health: HealthRegistry;
  readonly metrics: PlatformMetrics;
  readonly grpcHealth: GrpcHealth;
  /** The role of each served RPC, from the .proto files. */
  readonly roles: MethodRoles;
}

/**
 * What every service module can inject (config, logger, token store, health registry,
 * metrics, clock) and what every gRPC call goes through (auth guard, exception filter), plus the
 * boot check that each gRPC method's .proto declares its role.
 */
@Global()
@Module({})
export class PlatformModule implements OnModuleDestroy {
  constructor(@Inject(TokenStore) private readonly tokens: TokenStore) {}

  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const values = [
      { provide: SERVICE_NAME, useValue: options.name },
      { provide: CONFIG, useValue: options.config },
      { provide: JsonLogger, useValue: options.logger },
      { provide: TokenStore, useValue: options.tokens },
      { provide: HealthRegistry, useValue: options.health },
      { provide: PlatformMetrics, useValue: options.metrics },
      { provide: GrpcHealth, useValue: options.grpcHealth },
      { provide: MethodRoles, useValue: options.roles },
    ];
    return {
      module: PlatformModule,
      imports: [DiscoveryModule],
      providers: [
        ...values,
        { provide: Clock, useClass: SystemClock },
        RequiredRoleCheck,
        { provide: APP_GUARD, useClass: GrpcAuthGuard },
        { provide: APP_FILTER, useClass: GrpcExceptionFilter },
      ],
      exports: [...values.map((value) => value.provide), Clock],
    };
  }

  onModuleDestroy(): void {
    this.tokens.close();
  }
}
