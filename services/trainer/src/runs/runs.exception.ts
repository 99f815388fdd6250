import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum RunsExceptionCode {
  RUN_NOT_FOUND = 'RUN_NOT_FOUND',
  REQUEST_ID_REUSED = 'REQUEST_ID_REUSED',
  /** The run has succeeded or failed: there is nothing left to cancel. */
  RUN_ENDED = 'RUN_ENDED',
  /** The run has no such object (yet): only a run that succeeded has a model and a holdout. */
  ARTIFACT_NOT_FOUND = 'ARTIFACT_NOT_FOUND',
}

export class RunsException extends DomainException<RunsExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case RunsExceptionCode.RUN_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case RunsExceptionCode.REQUEST_ID_REUSED:
        return GrpcStatus.ALREADY_EXISTS;
      case RunsExceptionCode.RUN_ENDED:
        return GrpcStatus.FAILED_PRECONDITION;
      case RunsExceptionCode.ARTIFACT_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      default:
        return assertNever(this.code, 'RunsExceptionCode');
    }
  }
}
