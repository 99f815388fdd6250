import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum RegistryExceptionCode {
  MODEL_NOT_FOUND = 'MODEL_NOT_FOUND',
  MODEL_ALREADY_EXISTS = 'MODEL_ALREADY_EXISTS',
  VERSION_NOT_FOUND = 'VERSION_NOT_FOUND',
  ALIAS_NOT_FOUND = 'ALIAS_NOT_FOUND',
  /** A version's artifact is gone from the object store: data lost, not a caller's mistake. */
  ARTIFACT_MISSING = 'ARTIFACT_MISSING',
  /** The same ONNX graph imported again: it is already a version. */
  VERSION_ALREADY_IMPORTED = 'VERSION_ALREADY_IMPORTED',
}

/** What the registry refuses to do for a caller, and the gRPC status each case gets. */
export class RegistryException extends DomainException<RegistryExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case RegistryExceptionCode.MODEL_NOT_FOUND:
      case RegistryExceptionCode.VERSION_NOT_FOUND:
      case RegistryExceptionCode.ALIAS_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case RegistryExceptionCode.MODEL_ALREADY_EXISTS:
      case RegistryExceptionCode.VERSION_ALREADY_IMPORTED:
        return GrpcStatus.ALREADY_EXISTS;
      case RegistryExceptionCode.ARTIFACT_MISSING:
        return GrpcStatus.DATA_LOSS;
      default:
        return assertNever(this.code, 'RegistryExceptionCode');
    }
  }

  static modelNotFound(name: string): RegistryException {
    return new RegistryException(`model "${name}" does not exist`, RegistryExceptionCode.MODEL_NOT_FOUND, { name });
  }

  static versionNotFound(name: string, version: number): RegistryException {
    return new RegistryException(`model "${name}" has no version ${version}`, RegistryExceptionCode.VERSION_NOT_FOUND, { name, version });
  }

  static aliasNotFound(name: string, alias: string): RegistryException {
    return new RegistryException(`model "${name}" has no alias "${alias}"`, RegistryExceptionCode.ALIAS_NOT_FOUND, { name, alias });
  }
}
