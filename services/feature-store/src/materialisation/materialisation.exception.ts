import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum MaterialisationExceptionCode {
  /** A dataset version object the store cannot read: unknown format or malformed content. */
  UNREADABLE_DATASET_VERSION = 'UNREADABLE_DATASET_VERSION',
  /** The object's bytes do not match the sha256 recorded when it was committed. */
  DATASET_VERSION_CORRUPT = 'DATASET_VERSION_CORRUPT',
}

export class MaterialisationException extends DomainException<MaterialisationExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case MaterialisationExceptionCode.UNREADABLE_DATASET_VERSION:
        return GrpcStatus.FAILED_PRECONDITION;
      case MaterialisationExceptionCode.DATASET_VERSION_CORRUPT:
        return GrpcStatus.DATA_LOSS;
      default:
        return assertNever(this.code, 'MaterialisationExceptionCode');
    }
  }
}
