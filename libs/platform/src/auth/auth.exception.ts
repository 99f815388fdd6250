import { assertNever } from '../errors/assert-never';
import { DomainException, GrpcStatus } from '../errors/domain.exception';

export enum AuthExceptionCode {
  MISSING_TOKEN = 'MISSING_TOKEN',
  UNKNOWN_TOKEN = 'UNKNOWN_TOKEN',
  ROLE_REQUIRED = 'ROLE_REQUIRED',
}

export class AuthException extends DomainException<AuthExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case AuthExceptionCode.MISSING_TOKEN:
      case AuthExceptionCode.UNKNOWN_TOKEN:
        return GrpcStatus.UNAUTHENTICATED;
      case AuthExceptionCode.ROLE_REQUIRED:
        return GrpcStatus.PERMISSION_DENIED;
      default:
        return assertNever(this.code, 'AuthExceptionCode');
    }
  }
}
