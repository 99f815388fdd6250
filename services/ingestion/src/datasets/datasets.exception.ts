import { assertNever, DomainException, GrpcStatus } from '@flywheel/platform';

export enum DatasetsExceptionCode {
  DATASET_NOT_FOUND = 'DATASET_NOT_FOUND',
  DATASET_ALREADY_EXISTS = 'DATASET_ALREADY_EXISTS',
  /** UpdateDataset would narrow the contract that committed versions satisfy. */
  CONTRACT_CHANGE_REFUSED = 'CONTRACT_CHANGE_REFUSED',
  VERSION_NOT_FOUND = 'VERSION_NOT_FOUND',
  INGEST_TOPIC_UNAVAILABLE = 'INGEST_TOPIC_UNAVAILABLE',
}

export class DatasetsException extends DomainException<DatasetsExceptionCode> {
  grpcStatus(): GrpcStatus {
    switch (this.code) {
      case DatasetsExceptionCode.DATASET_NOT_FOUND:
      case DatasetsExceptionCode.VERSION_NOT_FOUND:
        return GrpcStatus.NOT_FOUND;
      case DatasetsExceptionCode.DATASET_ALREADY_EXISTS:
        return GrpcStatus.ALREADY_EXISTS;
      case DatasetsExceptionCode.CONTRACT_CHANGE_REFUSED:
        return GrpcStatus.FAILED_PRECONDITION;
      case DatasetsExceptionCode.INGEST_TOPIC_UNAVAILABLE:
        return GrpcStatus.UNAVAILABLE;
      default:
        return assertNever(this.code, 'DatasetsExceptionCode');
    }
  }
}

export function datasetNotFound(name: string): DatasetsException {
  return new DatasetsException(`dataset "${name}" is not registered`, DatasetsExceptionCode.DATASET_NOT_FOUND, { dataset: name });
}
