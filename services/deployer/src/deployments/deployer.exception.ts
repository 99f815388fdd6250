import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum DeployerExceptionCode {
  DEPLOYMENT_NOT_FOUND = 'DEPLOYMENT_NOT_FOUND',
  /** The deployment exists but has no version serving yet. */
  NOTHING_DEPLOYED = 'NOTHING_DEPLOYED',
  VERSION_UNKNOWN = 'VERSION_UNKNOWN',
  MODEL_NOT_FOUND = 'MODEL_NOT_FOUND',
  /** The deployment exists and serves another model. */
  DEPLOYMENT_MODEL_MISMATCH = 'DEPLOYMENT_MODEL_MISMATCH',
  /** The registry's version has no artifact the deployer can read. */
  VERSION_UNSERVABLE = 'VERSION_UNSERVABLE',
  REGISTRY_UNAVAILABLE = 'REGISTRY_UNAVAILABLE',
  NOTHING_TO_ROLL_BACK = 'NOTHING_TO_ROLL_BACK',
  /** Another change landed first; the caller may retry. */
  CONCURRENT_CHANGE = 'CONCURRENT_CHANGE',
  ENTITY_NOT_FOUND = 'ENTITY_NOT_FOUND',
  ENTITY_EXPIRED = 'ENTITY_EXPIRED',
  NO_FEATURE_VIEW = 'NO_FEATURE_VIEW',
  FEATURE_STORE_UNAVAILABLE = 'FEATURE_STORE_UNAVAILABLE',
  MODEL_UNAVAILABLE = 'MODEL_UNAVAILABLE',
  /** The version's artifact will never load: too large, malformed or over the artifact limits. */
  ARTIFACT_REJECTED = 'ARTIFACT_REJECTED',
  PREDICTION_FAILED = 'PREDICTION_FAILED',
}

export class DeployerException extends DomainException<DeployerExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case DeployerExceptionCode.DEPLOYMENT_NOT_FOUND:
      case DeployerExceptionCode.VERSION_UNKNOWN:
      case DeployerExceptionCode.MODEL_NOT_FOUND:
      case DeployerExceptionCode.ENTITY_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case DeployerExceptionCode.NOTHING_DEPLOYED:
      case DeployerExceptionCode.NOTHING_TO_ROLL_BACK:
      case DeployerExceptionCode.ENTITY_EXPIRED:
      case DeployerExceptionCode.NO_FEATURE_VIEW:
      case DeployerExceptionCode.DEPLOYMENT_MODEL_MISMATCH:
      case DeployerExceptionCode.VERSION_UNSERVABLE:
      case DeployerExceptionCode.ARTIFACT_REJECTED:
        return GrpcStatus.FAILED_PRECONDITION;
      case DeployerExceptionCode.CONCURRENT_CHANGE:
        return GrpcStatus.ABORTED;
      case DeployerExceptionCode.FEATURE_STORE_UNAVAILABLE:
      case DeployerExceptionCode.MODEL_UNAVAILABLE:
      case DeployerExceptionCode.REGISTRY_UNAVAILABLE:
        return GrpcStatus.UNAVAILABLE;
      case DeployerExceptionCode.PREDICTION_FAILED:
        return GrpcStatus.INTERNAL;
      default:
        return assertNever(this.code, 'DeployerExceptionCode');
    }
  }
}
