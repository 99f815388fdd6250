import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type commonV1, featureStoreV1, GrpcServices } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, InjectConfig } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';

export type OnlineLookup =
  { readonly status: 'present'; readonly values: Readonly<Record<string, commonV1.Value>> } | { readonly status: 'missing' | 'expired' };

/** Latest feature values of one entity. A port, so predictions unit-test without a feature store. */
export abstract class OnlineFeatures {
  abstract lookup(featureView: string, entityKey: string, features: readonly string[], deadlineMs: number): Promise<OnlineLookup>;
}

/** The feature store's GetOnlineFeatures over gRPC, with this service's own token. */
@Injectable()
export class GrpcOnlineFeatures extends OnlineFeatures implements OnModuleDestroy {
  private client: GrpcClient<featureStoreV1.FeatureStoreServiceController> | undefined;

  constructor(@InjectConfig() private readonly config: DeployerConfig) {
    super();
  }

  async lookup(featureView: string, entityKey: string, features: readonly string[], deadlineMs: number): Promise<OnlineLookup> {
    // Created on first use: most deployments never predict by entity key.
    this.client ??= createGrpcClient<featureStoreV1.FeatureStoreServiceController>(GrpcServices.featureStore, {
      address: this.config.FEATURE_STORE_GRPC_ADDRESS,
      token: this.config.FLYWHEEL_SERVICE_TOKEN,
      maxMessageBytes: this.config.GRPC_MAX_MESSAGE_BYTES,
    });
    const response = await this.client.getOnlineFeatures({ featureView, entityKeys: [entityKey], features: [...features] }, { deadlineMs });
    const result = response.results?.[0];
    switch (result?.status) {
      case featureStoreV1.OnlineStatus.ONLINE_STATUS_PRESENT:
        return { status: 'present', values: result.values?.values ?? {} };
      case featureStoreV1.OnlineStatus.ONLINE_STATUS_EXPIRED:
        return { status: 'expired' };
      default:
        return { status: 'missing' };
    }
  }

  onModuleDestroy(): void {
    this.client?.close();
  }
}
