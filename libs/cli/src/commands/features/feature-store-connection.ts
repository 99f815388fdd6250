import { type featureStoreV1 } from '@flywheel/contracts';
import { type OptionSpecs, type ParsedOptions } from '../../args';
import { UsageError } from '../../errors';

/** Where the feature store is and how to print: options every `flywheel features` command takes. */
export const connectionOptions: OptionSpecs = {
  address: { type: 'string', value: 'host:port', description: 'the feature store (default: $FEATURE_STORE_GRPC_ADDRESS or 127.0.0.1:50052)' },
  json: { type: 'boolean', description: 'print one JSON document' },
};

export const CONNECTION_DETAILS = 'The API token is read from $FLYWHEEL_TOKEN (never from the command line, where other users could see it).';

// Loaded on use: the platform and contracts libraries pull in gRPC and NestJS.
const libraries = async () => ({ platform: await import('@flywheel/platform'), contracts: await import('@flywheel/contracts') });

type Contracts = Awaited<ReturnType<typeof libraries>>['contracts'];
export type FeatureStoreClient = Awaited<ReturnType<typeof openFeatureStore>>['client'];

/** A typed feature-store client for one command, closed when `work` ends; gRPC errors become one-line usage errors. */
export async function withFeatureStore<T>(options: ParsedOptions, work: (client: FeatureStoreClient, contracts: Contracts) => Promise<T>): Promise<T> {
  const { client, contracts, address } = await openFeatureStore(options);
  try {
    return await work(client, contracts);
  } catch (error) {
    throw describeGrpcError(error, address);
  } finally {
    client.close();
  }
}

async function openFeatureStore(options: ParsedOptions) {
  const { platform, contracts } = await libraries();
  const address = options.string('address') ?? process.env.FEATURE_STORE_GRPC_ADDRESS ?? '127.0.0.1:50052';
  const token = process.env.FLYWHEEL_TOKEN;
  if (!token) throw new UsageError('set FLYWHEEL_TOKEN to your API token');
  const client = platform.createGrpcClient<featureStoreV1.FeatureStoreServiceController>(contracts.GrpcServices.featureStore, { address, token });
  return { client, contracts, address };
}

const STATUS_NAMES: Record<number, string> = {
  3: 'invalid argument',
  5: 'not found',
  7: 'permission denied',
  9: 'failed precondition',
  14: 'unavailable',
  16: 'unauthenticated',
};

function describeGrpcError(error: unknown, address: string): unknown {
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== 'number' || !('details' in error)) return error;
  const { code, details } = error as Error & { code: number; details: string };
  if (code === 14) return new UsageError(`the feature store at ${address} is not reachable (${details})`);
  const name = STATUS_NAMES[code];
  return name ? new UsageError(`${name}: ${details}`) : error;
}
