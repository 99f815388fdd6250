import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum DeployerExceptionCode {
  DEPLOYMENT_NOT_FOUND = 'DEPLOYMENT_NOT_FOUND',
  /** The deployment exists but has no version serving yet. */
  NOTHING_DEPLOYED = 'NOTHING_DEPLOYED',
  VERSION_UNKNOWN = 'VERSION_UNKNOWN',
  NOTHING_TO_ROLL_BACK = 'NOTHING_TO_ROLL_BACK',
  /** Another change landed first; the caller may retry. */
  CONCURRENT_CHANGE = 'CONCURRENT_CHANGE',
  ENTITY_NOT_FOUND = 'ENTITY_NOT_FOUND',
  ENTITY_EXPIRED = 'ENTITY_EXPIRED',
  NO_FEATURE_VIEW = 'NO_FEATURE_VIEW',
  FEATURE_STORE_UNAVAILABLE = 'FEATURE_STORE_UNAVAILABLE',
  MODEL_UNAVAILABLE = 'MODEL_UNAVAILABLE',
  PREDICTION_FAILED = 'PREDICTION_FAILED',
  NOT_IMPLEMENTED = 'NOT_IMPLEMENTED',
}

export class DeployerException extends DomainException<DeployerExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case DeployerExceptionCode.DEPLOYMENT_NOT_FOUND:
      case DeployerExceptionCode.VERSION_UNKNOWN:
      case DeployerExceptionCode.ENTITY_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case DeployerExceptionCode.NOTHING_DEPLOYED:
      case DeployerExceptionCode.NOTHING_TO_ROLL_BACK:
      case DeployerExceptionCode.ENTITY_EXPIRED:
      case DeployerExceptionCode.NO_FEATURE_VIEW:
        return GrpcStatus.FAILED_PRECONDITION;
      case DeployerExceptionCode.CONCURRENT_CHANGE:
        return GrpcStatus.ABORTED;
      case DeployerExceptionCode.FEATURE_STORE_UNAVAILABLE:
      case DeployerExceptionCode.MODEL_UNAVAILABLE:
        return GrpcStatus.UNAVAILABLE;
      case DeployerExceptionCode.PREDICTION_FAILED:
        return GrpcStatus.INTERNAL;
      case DeployerExceptionCode.NOT_IMPLEMENTED:
        return GrpcStatus.UNIMPLEMENTED;
      default:
        return assertNever(this.code, 'DeployerExceptionCode');
    }
  }
}
