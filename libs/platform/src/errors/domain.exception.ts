import { status as GrpcStatus } from '@grpc/grpc-js';

export { GrpcStatus };

/**
 * Base of every feature's exception (`registry.exception.ts` → `RegistryException` over
 * `RegistryExceptionCode`). The feature decides the gRPC status of each of its codes in one
 * exhaustive switch:
 *
 * ```ts
 * grpcStatus(): GrpcStatus {
 *   switch (this.code) {
 *     case RegistryExceptionCode.MODEL_NOT_FOUND: return GrpcStatus.NOT_FOUND;
 *     case RegistryExceptionCode.ALIAS_CONFLICT: return GrpcStatus.FAILED_PRECONDITION;
 *     default: return assertNever(this.code);
 *   }
 * }
 * ```
 *
 * The message goes back to the caller as the gRPC status message, so it must be written for
 * them; `details` are logged, never sent.
 */
export abstract class DomainException<Code extends string = string> extends Error {
  constructor(
    message: string,
    readonly code: Code,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  abstract grpcStatus(): GrpcStatus;
}
