import {
  type deployerV1,
  type featureStoreV1,
  type GrpcServiceContract,
  GrpcServices,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient } from '@flywheel/platform';

/** The services the console reads, by the names `npm start` gives them. */
export const CONSOLE_SERVICES = ['ingestion', 'feature-store', 'trainer', 'registry', 'deployer', 'monitor'] as const;
export type ConsoleService = (typeof CONSOLE_SERVICES)[number];
export type ServiceAddresses = Partial<Record<ConsoleService, string>>;

/** The calls of a service the console makes, as the gRPC client offers them. */
type Calls<Controller, Method extends keyof Controller> = Pick<GrpcClient<Controller>, Method>;

/** Reads only. */
export type IngestionCalls = Calls<
  ingestionV1.IngestionServiceController,
  'listDatasets' | 'getDataset' | 'listVersions' | 'getVersion' | 'listQuarantine'
>;
/** Reads only. */
export type FeatureStoreCalls = Calls<featureStoreV1.FeatureStoreServiceController, 'listFeatureViews' | 'getFeatureView'>;
/** Reads only. */
export type TrainerCalls = Calls<
  trainerV1.TrainerServiceController,
  'listRuns' | 'getRun' | 'compareRuns' | 'readRunArtifact' | 'listRetrainingDecisions'
>;
/** Reads only. */
export type RegistryCalls = Calls<
  registryV1.RegistryServiceController,
  'listModels' | 'getModel' | 'listModelVersions' | 'getModelVersion' | 'listAuditLog' | 'getLineage'
>;
/** Reads, and the one write a page offers: rolling a deployment back (the deployer checks the promote role). */
export type DeployerCalls = Calls<
  deployerV1.DeployerServiceController,
  'listDeployments' | 'getDeployment' | 'getRolloutStatus' | 'rollback' | 'listDeploymentChanges'
>;
/** Reads only. */
export type MonitorCalls = Calls<
  monitorV1.MonitorServiceController,
  'getDriftReport' | 'listDriftReports' | 'getModelHealth' | 'getMonitoringPolicy' | 'listAlerts'
>;

/**
 * The services as one signed-in person sees them: every call carries that person's team token,
 * so each service applies its own role rules. Pages take this, so they render from fakes in tests.
 */
export interface ConsoleBackend {
  ingestion(token: string): IngestionCalls;
  featureStore(token: string): FeatureStoreCalls;
  trainer(token: string): TrainerCalls;
  registry(token: string): RegistryCalls;
  deployer(token: string): DeployerCalls;
  monitor(token: string): MonitorCalls;
  /** Drops the clients of a token whose session ended. */
  forget(token: string): void;
  close(): void;
}

/** Raised for a service the console was given no address for. */
export class ServiceNotConfigured extends Error {
  constructor(readonly service: ConsoleService) {
    super(`the console has no address for the ${service} service`);
  }
}

type Closable = { close(): void };

/** gRPC clients, one per service and token, kept until the session or the console ends. */
export function grpcBackend(addresses: ServiceAddresses, options: { deadlineMs?: number; tlsCaFile?: string } = {}): ConsoleBackend {
  const clients = new Map<string, Closable>();
  const deadlineMs = options.deadlineMs ?? 10_000;
  const { tlsCaFile } = options;
  const client = <Controller>(service: ConsoleService, contract: GrpcServiceContract, token: string): GrpcClient<Controller> => {
    const address = addresses[service];
    if (!address) throw new ServiceNotConfigured(service);
    const key = `${service}\n${token}`;
    let cached = clients.get(key) as GrpcClient<Controller> | undefined;
    if (!cached) {
      cached = createGrpcClient<Controller>(contract, { address, token, deadlineMs, tlsCaFile });
      clients.set(key, cached);
    }
    return cached;
  };
  return {
    ingestion: (token) => client<ingestionV1.IngestionServiceController>('ingestion', GrpcServices.ingestion, token),
    featureStore: (token) => client<featureStoreV1.FeatureStoreServiceController>('feature-store', GrpcServices.featureStore, token),
    trainer: (token) => client<trainerV1.TrainerServiceController>('trainer', GrpcServices.trainer, token),
    registry: (token) => client<registryV1.RegistryServiceController>('registry', GrpcServices.registry, token),
    deployer: (token) => client<deployerV1.DeployerServiceController>('deployer', GrpcServices.deployer, token),
    monitor: (token) => client<monitorV1.MonitorServiceController>('monitor', GrpcServices.monitor, token),
    forget(token) {
      for (const [key, cached] of clients)
        if (key.endsWith(`\n${token}`)) {
          cached.close();
          clients.delete(key);
        }
    },
    close() {
      for (const cached of clients.values()) cached.close();
      clients.clear();
    },
  };
}
