import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { type featureStoreV1, GrpcServices } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, InjectConfig } from '@flywheel/platform';
import { type TrainerConfig } from '../trainer.config';
import { FeatureStoreError, FeatureStorePort } from './feature-store.port';

/** The feature store over gRPC, with the trainer's own token. */
@Injectable()
export class GrpcFeatureStore extends FeatureStorePort implements OnModuleDestroy {
  private readonly client: GrpcClient<featureStoreV1.FeatureStoreServiceController>;

  constructor(@InjectConfig() config: TrainerConfig) {
    super();
    this.client = createGrpcClient<featureStoreV1.FeatureStoreServiceController>(GrpcServices.featureStore, {
      address: config.FEATURE_STORE_GRPC_ADDRESS,
      token: config.FLYWHEEL_SERVICE_TOKEN,
      deadlineMs: config.FEATURE_STORE_DEADLINE_MS,
      maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
      // GetHistoricalFeatures writes nothing a second call would not write the same.
      retryUnavailable: true,
    });
  }

  async getHistoricalFeatures(request: featureStoreV1.GetHistoricalFeaturesRequest): Promise<featureStoreV1.GetHistoricalFeaturesResponse> {
    try {
      return await this.client.getHistoricalFeatures(request);
    } catch (error) {
      throw featureStoreError(error);
    }
  }

  async getFeatureView(name: string): Promise<featureStoreV1.FeatureView | undefined> {
    try {
      return (await this.client.getFeatureView({ name, revision: 0 })).featureView;
    } catch (error) {
      if ((error as Partial<ServiceError>).code === GrpcStatus.NOT_FOUND) return undefined;
      throw featureStoreError(error);
    }
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}

function featureStoreError(error: unknown): FeatureStoreError {
  const code = (error as Partial<ServiceError>).code;
  const details = (error as Partial<ServiceError>).details ?? (error as Error).message;
  const invalid = code === GrpcStatus.INVALID_ARGUMENT || code === GrpcStatus.NOT_FOUND || code === GrpcStatus.FAILED_PRECONDITION;
  return new FeatureStoreError(`feature store: ${code === undefined ? '' : `${GrpcStatus[code]}: `}${details}`, invalid);
}
