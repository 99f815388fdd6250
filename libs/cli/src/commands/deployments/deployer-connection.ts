import { type deployerV1 } from '@flywheel/contracts';
import { type OptionSpecs, type ParsedOptions } from '../../args';
import { UsageError } from '../../errors';

/** Where the deployer is and how to print: options every deployer command takes. */
export const deployerConnectionOptions: OptionSpecs = {
  address: { type: 'string', value: 'host:port', description: 'the deployer (default: $DEPLOYER_GRPC_ADDRESS or 127.0.0.1:50055)' },
  json: { type: 'boolean', description: 'print one JSON document' },
};

export const DEPLOYER_CONNECTION_DETAILS = 'The API token is read from $FLYWHEEL_TOKEN (never from the command line, where other users could see it).';

// Loaded on use: the platform and contracts libraries pull in gRPC and NestJS.
const libraries = async () => ({ platform: await import('@flywheel/platform'), contracts: await import('@flywheel/contracts') });

export type DeployerClient = Awaited<ReturnType<typeof openDeployer>>['client'];

/** A typed deployer client for one command, closed when `work` ends; gRPC errors become one-line usage errors. */
export async function withDeployer<T>(options: ParsedOptions, work: (client: DeployerClient) => Promise<T>): Promise<T> {
  const { client, address } = await openDeployer(options);
  try {
    return await work(client);
  } catch (error) {
    throw describeGrpcError(error, address);
  } finally {
    client.close();
  }
}

async function openDeployer(options: ParsedOptions) {
  const { platform, contracts } = await libraries();
  const address = options.string('address') ?? process.env.DEPLOYER_GRPC_ADDRESS ?? '127.0.0.1:50055';
  const token = process.env.FLYWHEEL_TOKEN;
  if (!token) throw new UsageError('set FLYWHEEL_TOKEN to your API token');
  const client = platform.createGrpcClient<deployerV1.DeployerServiceController>(contracts.GrpcServices.deployer, { address, token });
  return { client, address };
}

const STATUS_NAMES: Record<number, string> = {
  3: 'invalid argument',
  5: 'not found',
  7: 'permission denied',
  9: 'failed precondition',
  10: 'aborted',
  12: 'unimplemented',
  14: 'unavailable',
  16: 'unauthenticated',
};

function describeGrpcError(error: unknown, address: string): unknown {
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== 'number' || !('details' in error)) return error;
  const { code, details } = error as Error & { code: number; details: string };
  if (code === 14 && /connect|No connection/i.test(details)) return new UsageError(`the deployer at ${address} is not reachable (${details})`);
  const name = STATUS_NAMES[code];
  return name ? new UsageError(`${name}: ${details}`) : error;
}
