import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { status as GrpcCode, type ServiceError } from '@grpc/grpc-js';
import { GrpcServices, type ingestionV1 } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient } from '@flywheel/platform';
import { FeatureViewException, FeatureViewExceptionCode } from '../feature-views/feature-view.exception';

/**
 * Asks the ingestion service for a dataset the feature store has not heard of yet (port). The
 * DatasetRegistered event normally arrives first; this covers a view applied right after the
 * dataset was registered, before that event was consumed.
 */
export abstract class IngestionDatasets {
  /** The dataset's contract, or undefined when ingestion does not know it. */
  abstract findContract(dataset: string): Promise<ingestionV1.DataContract | undefined>;
}

export interface IngestionClientSettings {
  readonly address: string;
  /** The service's own token; without one there is nobody to ask. */
  readonly token: string | undefined;
  readonly deadlineMs: number;
}

@Injectable()
export class GrpcIngestionDatasets extends IngestionDatasets implements OnModuleDestroy {
  private client: GrpcClient<ingestionV1.IngestionServiceController> | undefined;

  constructor(private readonly settings: IngestionClientSettings) {
    super();
  }

  async findContract(dataset: string): Promise<ingestionV1.DataContract | undefined> {
    if (!this.settings.token) return undefined;
    this.client ??= createGrpcClient<ingestionV1.IngestionServiceController>(GrpcServices.ingestion, {
      address: this.settings.address,
      token: this.settings.token,
      deadlineMs: this.settings.deadlineMs,
      // Reads only.
      retryUnavailable: true,
    });
    try {
      const response = await this.client.getDataset({ name: dataset });
      return response.dataset?.contract;
    } catch (error) {
      const code = (error as Partial<ServiceError>).code;
      if (code === GrpcCode.NOT_FOUND) return undefined;
      throw new FeatureViewException(
        `dataset "${dataset}" is not known here yet and the ingestion service could not be asked (${GrpcCode[code ?? GrpcCode.UNKNOWN]}); retry shortly`,
        FeatureViewExceptionCode.DATASET_CATALOG_UNAVAILABLE,
        { error: error instanceof Error ? error.message : String(error) },
      );
    }
  }

  onModuleDestroy(): void {
    this.client?.close();
  }
}
