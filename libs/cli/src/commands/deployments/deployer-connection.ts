import { type deployerV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type ParsedOptions, type PositionalSpec } from '../../args';
import { CONNECTION_DETAILS, Targets, connectionOptions, withService } from '../../grpc/service-connection';

export const DEPLOYER_CONNECTION_DETAILS = CONNECTION_DETAILS;
export const deployerConnectionOptions = connectionOptions(Targets.deployer);
/** The deployment a command acts on: the deployments commands and predict name it the same way. */
export const deploymentPositional: PositionalSpec = {
  name: 'deployment',
  required: true,
  description: 'the deployment (normally the model name)',
};
export type DeployerClient = GrpcClient<deployerV1.DeployerServiceController>;

export const withDeployer = <T>(options: ParsedOptions, work: (client: DeployerClient) => Promise<T>): Promise<T> =>
  withService<deployerV1.DeployerServiceController, T>(Targets.deployer, options, (client) => work(client));
