import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum ServingExceptionCode {
  /** The dataset versions a training set needs are not in the offline store (yet). */
  NOT_MATERIALISED = 'NOT_MATERIALISED',
  /** A dataset spine larger than one training set may be; the caller narrows the range. */
  SPINE_TOO_LARGE = 'SPINE_TOO_LARGE',
  /** The spine's entities have more history than one training set may read. */
  HISTORY_TOO_LARGE = 'HISTORY_TOO_LARGE',
  /** No training set under that key (never built, or removed). */
  TRAINING_SET_NOT_FOUND = 'TRAINING_SET_NOT_FOUND',
}

export class ServingException extends DomainException<ServingExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case ServingExceptionCode.NOT_MATERIALISED:
        return GrpcStatus.FAILED_PRECONDITION;
      case ServingExceptionCode.SPINE_TOO_LARGE:
      case ServingExceptionCode.HISTORY_TOO_LARGE:
        return GrpcStatus.RESOURCE_EXHAUSTED;
      case ServingExceptionCode.TRAINING_SET_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      default:
        return assertNever(this.code, 'ServingExceptionCode');
    }
  }
}
