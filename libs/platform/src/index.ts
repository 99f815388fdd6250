export * from './config/base-config.schema';
export * from './config/config-error';
export * from './config/config.tokens';
export * from './config/env-vars';
export * from './config/load-config';
export * from './config/with-defaults';

export * from './logging/json-logger';
export * from './logging/request-context';
export * from './logging/traceparent';

export * from './errors/assert-never';
export * from './errors/domain.exception';
export * from './errors/grpc-exception.filter';
export * from './errors/invalid-argument.exception';

export * from './auth/auth.exception';
export * from './auth/caller-identity';
export * from './auth/current-caller';
export * from './auth/authorize-call';
export * from './auth/grpc-auth.guard';
export * from './auth/kafka-access-file';
export * from './auth/kafka-access-script';
export * from './auth/required-role.check';
export * from './auth/role';
export * from './auth/token-file';
export * from './auth/token-store';
export * from './auth/tokens';
export * from './files/write-private-file';

export * from './grpc/call-interceptor';
export * from './grpc/grpc-health';
export * from './grpc/grpc-reflection';
export * from './grpc/grpc-server-options';
export * from './grpc/message-codecs';

export * from './http/health-registry';
export * from './http/http-api';
export * from './http/http-server';
export * from './http/metric-catalog';
export * from './http/platform-metrics';
export * from './http/series-metrics';

export * from './bootstrap/bootstrap-service';
export * from './bootstrap/platform.module';
export * from './grpc/grpc-client';
export * from './grpc/flow-control';
export * from './grpc/grpc-target';

export * from './caching/read-through-cache';
export * from './time/clock';
export * from './paging/paging';
export * from './wire/wire-nulls';
export * from './auth/method-roles';
export { SERVICE_CONTRACTS } from './auth/roles-readme';

export * from './workers/worker-tasks';
export * from './workers/worker-thread';
