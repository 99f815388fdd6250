import { assertNever } from '../errors/assert-never';
import { DomainException, GrpcStatus } from '../errors/domain.exception';

// The shape every feature follows (`x.exception.ts`): a code enum and one exhaustive switch.

export enum ShelfExceptionCode {
  SHELF_NOT_FOUND = 'SHELF_NOT_FOUND',
  SHELF_LOCKED = 'SHELF_LOCKED',
  SHELF_ALREADY_EXISTS = 'SHELF_ALREADY_EXISTS',
  SHELF_STORE_FAILED = 'SHELF_STORE_FAILED',
}

export class ShelfException extends DomainException<ShelfExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case ShelfExceptionCode.SHELF_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case ShelfExceptionCode.SHELF_LOCKED:
        return GrpcStatus.FAILED_PRECONDITION;
      case ShelfExceptionCode.SHELF_ALREADY_EXISTS:
        return GrpcStatus.ALREADY_EXISTS;
      case ShelfExceptionCode.SHELF_STORE_FAILED:
        return GrpcStatus.INTERNAL;
      default:
        return assertNever(this.code, 'ShelfExceptionCode');
    }
  }
}
