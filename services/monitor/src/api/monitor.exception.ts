import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum MonitorExceptionCode {
  MODEL_NOT_MONITORED = 'MODEL_NOT_MONITORED',
  REPORT_NOT_FOUND = 'REPORT_NOT_FOUND',
}

export class MonitorException extends DomainException<MonitorExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case MonitorExceptionCode.MODEL_NOT_MONITORED:
      case MonitorExceptionCode.REPORT_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      default:
        return assertNever(this.code, 'MonitorExceptionCode');
    }
  }
}
