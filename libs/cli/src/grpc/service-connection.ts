import type * as ContractsModule from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type OptionSpecs, type ParsedOptions } from '../args';
import { UsageError } from '../errors';

export type Contracts = typeof ContractsModule;

/** A service the command talks to: its contract, and where to find it unless told. */
export interface ServiceTarget {
  /** How messages name it: "the registry". */
  readonly label: string;
  readonly contract: keyof Contracts['GrpcServices'];
  /** The variable the platform itself uses for the address, e.g. REGISTRY_GRPC_ADDRESS. */
  readonly addressVariable: string;
  readonly defaultAddress: string;
}

export const Targets = {
  ingestion: { label: 'ingestion', contract: 'ingestion', addressVariable: 'INGESTION_GRPC_ADDRESS', defaultAddress: '127.0.0.1:8051' },
  featureStore: {
    label: 'the feature store',
    contract: 'featureStore',
    addressVariable: 'FEATURE_STORE_GRPC_ADDRESS',
    defaultAddress: '127.0.0.1:8052',
  },
  trainer: { label: 'the trainer', contract: 'trainer', addressVariable: 'TRAINER_GRPC_ADDRESS', defaultAddress: '127.0.0.1:8053' },
  registry: { label: 'the registry', contract: 'registry', addressVariable: 'REGISTRY_GRPC_ADDRESS', defaultAddress: '127.0.0.1:8054' },
  deployer: { label: 'the deployer', contract: 'deployer', addressVariable: 'DEPLOYER_GRPC_ADDRESS', defaultAddress: '127.0.0.1:8055' },
  monitor: { label: 'the monitor', contract: 'monitor', addressVariable: 'MONITOR_GRPC_ADDRESS', defaultAddress: '127.0.0.1:8056' },
} as const satisfies Record<string, ServiceTarget>;

/** Options every command that calls a service takes. */
export function connectionOptions(target: ServiceTarget): OptionSpecs {
  return {
    address: {
      type: 'string',
      value: 'host:port',
      description: `${target.label} (default: $${target.addressVariable} or ${target.defaultAddress})`,
    },
    json: { type: 'boolean', description: 'print one JSON document' },
  };
}

export const CONNECTION_DETAILS =
  'The API token is read from $FLYWHEEL_TOKEN (never from the command line, where other users could see it).';

// Loaded on use: the platform and contracts libraries pull in gRPC and NestJS, which the
// offline commands do not need.
const libraries = async () => ({ platform: await import('@flywheel/platform'), contracts: await import('@flywheel/contracts') });

/**
 * Runs `work` with a typed client of `target`, closed when it ends; a gRPC error becomes a
 * one-line usage error ("permission denied: …", "the registry at … is not reachable").
 */
export async function withService<Controller, T>(
  target: ServiceTarget,
  options: ParsedOptions,
  work: (client: GrpcClient<Controller>, contracts: Contracts) => Promise<T>,
): Promise<T> {
  const service = await openService<Controller>(target, options.string('address'));
  try {
    return await work(service.client, service.contracts);
  } catch (error) {
    throw service.describe(error);
  } finally {
    service.client.close();
  }
}

/** A typed client of `target` at `address` (default: its variable, then its default address); close it when done. */
export async function openService<Controller>(
  target: ServiceTarget,
  address = process.env[target.addressVariable] ?? target.defaultAddress,
): Promise<{ client: GrpcClient<Controller>; contracts: Contracts; describe(error: unknown): unknown }> {
  const token = process.env.FLYWHEEL_TOKEN;
  if (!token) throw new UsageError('set FLYWHEEL_TOKEN to your API token');
  const { platform, contracts } = await libraries();
  const client = platform.createGrpcClient<Controller>(contracts.GrpcServices[target.contract], { address, token });
  return { client, contracts, describe: (error) => describeGrpcError(error, target, address) };
}

/** The gRPC status code of a call's error; undefined for anything else. */
export function grpcStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'number' ? code : undefined;
}

const STATUS_NAMES: Record<number, string> = {
  3: 'invalid argument',
  4: 'deadline exceeded',
  5: 'not found',
  6: 'already exists',
  7: 'permission denied',
  8: 'resource exhausted',
  9: 'failed precondition',
  12: 'not implemented',
  16: 'unauthenticated',
};

function describeGrpcError(error: unknown, target: ServiceTarget, address: string): unknown {
  const grpc = error as { code?: unknown; details?: unknown };
  if (!(error instanceof Error) || typeof grpc.code !== 'number' || typeof grpc.details !== 'string') return error;
  if (grpc.code === 14) return new UsageError(`${target.label} at ${address} is not reachable (${grpc.details})`);
  const name = STATUS_NAMES[grpc.code];
  return name ? new UsageError(`${name}: ${grpc.details}`) : error;
}
