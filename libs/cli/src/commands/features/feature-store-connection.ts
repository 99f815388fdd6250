import { type featureStoreV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type ParsedOptions } from '../../args';
import { CONNECTION_DETAILS, type Contracts, Targets, connectionOptions as optionsFor, withService } from '../../grpc/service-connection';

export { CONNECTION_DETAILS };
export const connectionOptions = optionsFor(Targets.featureStore);
export type FeatureStoreClient = GrpcClient<featureStoreV1.FeatureStoreServiceController>;

export const withFeatureStore = <T>(
  options: ParsedOptions,
  work: (client: FeatureStoreClient, contracts: Contracts) => Promise<T>,
): Promise<T> => withService<featureStoreV1.FeatureStoreServiceController, T>(Targets.featureStore, options, work);
