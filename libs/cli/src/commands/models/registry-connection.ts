import { type registryV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type ParsedOptions } from '../../args';
import { CONNECTION_DETAILS, type Contracts, Targets, connectionOptions as optionsFor, withService } from '../../grpc/service-connection';

export { CONNECTION_DETAILS };
export const connectionOptions = optionsFor(Targets.registry);
export type RegistryClient = GrpcClient<registryV1.RegistryServiceController>;

export const withRegistry = <T>(options: ParsedOptions, work: (client: RegistryClient, contracts: Contracts) => Promise<T>): Promise<T> =>
  withService<registryV1.RegistryServiceController, T>(Targets.registry, options, work);
