import { type ArgumentsHost, Catch, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import { currentTraceId } from '../logging/request-context';
import { DomainException } from './domain.exception';

/** Trailing metadata key carrying the domain code, so clients can branch without parsing text. */
export const ERROR_CODE_METADATA_KEY = 'flywheel-error-code';

export interface GrpcErrorPayload {
  readonly code: GrpcStatus;
  readonly message: string;
  readonly details?: string;
  readonly metadata?: Metadata;
}

/**
 * Turns whatever a gRPC handler (or its guards and interceptors) threw into a status: a domain
 * exception into the status its feature chose, an `RpcException` carrying `{ code, message }`
 * unchanged, anything else into INTERNAL — logged with its stack, its message kept from the
 * caller, who gets the trace id to quote instead.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('GrpcExceptionFilter');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => this.toPayload(exception));
  }

  toPayload(exception: unknown): GrpcErrorPayload {
    if (exception instanceof DomainException) {
      const code = exception.grpcStatus();
      const metadata = new Metadata();
      metadata.set(ERROR_CODE_METADATA_KEY, exception.code);
      if (code === GrpcStatus.INTERNAL || code === GrpcStatus.UNKNOWN) {
        this.logger.error({ msg: exception.message, code: exception.code, details: exception.details }, exception.stack);
      } else {
        this.logger.debug({ msg: exception.message, code: exception.code, details: exception.details });
      }
      return { code, message: exception.message, details: exception.message, metadata };
    }
    if (exception instanceof RpcException) {
      const error = exception.getError();
      if (isStatusPayload(error)) return { code: error.code, message: error.message, details: error.message };
    }
    if (isServiceError(exception)) {
      // A gRPC client error from a downstream call: its status is not ours to repeat.
      this.logger.error({ msg: 'downstream gRPC call failed', grpcCode: GrpcStatus[exception.code] }, exception.stack);
      return internal();
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error({ msg: `unhandled error in gRPC handler: ${error.message}` }, error.stack);
    return internal();
  }
}

function internal(): GrpcErrorPayload {
  const traceId = currentTraceId();
  const message = traceId ? `internal error (trace ${traceId})` : 'internal error';
  return { code: GrpcStatus.INTERNAL, message, details: message };
}

function isStatusPayload(value: unknown): value is { code: GrpcStatus; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    GrpcStatus[(value as { code: number }).code] !== undefined &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

function isServiceError(value: unknown): value is ServiceError {
  return value instanceof Error && typeof (value as Partial<ServiceError>).code === 'number' && 'metadata' in value;
}
