import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum FeatureViewExceptionCode {
  FEATURE_VIEW_NOT_FOUND = 'FEATURE_VIEW_NOT_FOUND',
  DATASET_NOT_REGISTERED = 'DATASET_NOT_REGISTERED',
  DATASET_CATALOG_UNAVAILABLE = 'DATASET_CATALOG_UNAVAILABLE',
}

export class FeatureViewException extends DomainException<FeatureViewExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case FeatureViewExceptionCode.FEATURE_VIEW_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case FeatureViewExceptionCode.DATASET_NOT_REGISTERED:
        return GrpcStatus.FAILED_PRECONDITION;
      case FeatureViewExceptionCode.DATASET_CATALOG_UNAVAILABLE:
        return GrpcStatus.UNAVAILABLE;
      default:
        return assertNever(this.code, 'FeatureViewExceptionCode');
    }
  }
}

export function featureViewNotFound(name: string, revision = 0): FeatureViewException {
  const which = revision > 0 ? `revision ${revision} of feature view "${name}"` : `feature view "${name}"`;
  return new FeatureViewException(`${which} does not exist`, FeatureViewExceptionCode.FEATURE_VIEW_NOT_FOUND, { name, revision });
}
