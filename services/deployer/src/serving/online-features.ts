import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type commonV1, featureStoreV1, GrpcServices } from '@flywheel/contracts';
import { Clock, createGrpcClient, type GrpcClient, InjectConfig, ReadThroughCache } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';

export type OnlineLookup =
  | {
      readonly status: 'present';
      readonly values: Readonly<Record<string, commonV1.Value>>;
      /** When the values pass the view's TTL; null when they never expire. */
      readonly expireTime: Date | null;
    }
  | { readonly status: 'missing' | 'expired' };

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
        return { status: 'present', values: result.values?.values ?? {}, expireTime: result.expireTime ?? null };
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

/**
 * The feature store's answers kept in memory, so a prediction by entity key costs a hash lookup
 * and not a call: per view and entity (and the features asked for), present values until their
 * expiry time, absent and expired ones too. What the store says changed — a FeaturesMaterialised
 * or FeatureViewApplied event, seen by `OnlineFeaturesInvalidator` — makes it forget that view
 * (see ReadThroughCache for why nothing older than a seen change is served after it).
 */
@Injectable()
export class CachedOnlineFeatures extends OnlineFeatures {
  private readonly cache: ReadThroughCache<OnlineLookup>;

  constructor(
    @Inject(GrpcOnlineFeatures) private readonly source: OnlineFeatures,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() config: Pick<DeployerConfig, 'ONLINE_FEATURES_CACHE_ENTITIES'>,
  ) {
    super();
    this.cache = new ReadThroughCache(config.ONLINE_FEATURES_CACHE_ENTITIES);
  }

  async lookup(featureView: string, entityKey: string, features: readonly string[], deadlineMs: number): Promise<OnlineLookup> {
    const key = `${features.join(',')}\u0000${entityKey}`;
    const found = await this.cache.get(featureView, key, () => this.source.lookup(featureView, entityKey, features, deadlineMs));
    if (found === undefined) return { status: 'missing' };
    if (found.status === 'present' && found.expireTime !== null && this.clock.now() >= found.expireTime) return { status: 'expired' };
    return found;
  }

  /** Forgets what is cached of a view: the feature store said it changed. */
  invalidate(featureView: string): void {
    this.cache.invalidate(featureView);
  }
}
