import { type deployerV1, GrpcServices, type monitorV1, type registryV1 } from '@flywheel/contracts';
import { createGrpcClient } from '@flywheel/platform';

/** The services the console reads, by the names `npm start` gives them. */
export const CONSOLE_SERVICES = ['ingestion', 'feature-store', 'trainer', 'registry', 'deployer', 'monitor'] as const;
export type ConsoleService = (typeof CONSOLE_SERVICES)[number];
export type ServiceAddresses = Partial<Record<ConsoleService, string>>;

/** The read calls the registry's pages make. */
export interface RegistryReader {
  listModels(request: registryV1.ListModelsRequest): Promise<registryV1.ListModelsResponse>;
  getModel(request: registryV1.GetModelRequest): Promise<registryV1.GetModelResponse>;
  listModelVersions(request: registryV1.ListModelVersionsRequest): Promise<registryV1.ListModelVersionsResponse>;
  listAuditLog(request: registryV1.ListAuditLogRequest): Promise<registryV1.ListAuditLogResponse>;
}

/** The read calls the deployments pages make. */
export interface DeployerReader {
  listDeployments(request: deployerV1.ListDeploymentsRequest): Promise<deployerV1.ListDeploymentsResponse>;
  getRolloutStatus(request: deployerV1.GetRolloutStatusRequest): Promise<deployerV1.GetRolloutStatusResponse>;
}

/** The read calls the monitoring page makes. */
export interface MonitorReader {
  getDriftReport(request: monitorV1.GetDriftReportRequest): Promise<monitorV1.GetDriftReportResponse>;
}

/**
 * The services as one signed-in person sees them: every call carries that person's team token,
 * so each service applies its own role rules. Pages take this, so they render from fakes in tests.
 */
export interface ConsoleBackend {
  registry(token: string): RegistryReader;
  deployer(token: string): DeployerReader;
  monitor(token: string): MonitorReader;
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

/** gRPC clients, one per service and token, kept until the console closes. */
export function grpcBackend(addresses: ServiceAddresses, options: { deadlineMs?: number } = {}): ConsoleBackend {
  const clients = new Map<string, Closable>();
  const cached = <T extends Closable>(service: ConsoleService, token: string, create: (address: string) => T): T => {
    const address = addresses[service];
    if (!address) throw new ServiceNotConfigured(service);
    const key = `${service}\n${token}`;
    let client = clients.get(key) as T | undefined;
    if (!client) {
      client = create(address);
      clients.set(key, client);
    }
    return client;
  };
  const deadlineMs = options.deadlineMs ?? 10_000;
  return {
    registry: (token): RegistryReader =>
      cached('registry', token, (address) =>
        createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, { address, token, deadlineMs }),
      ),
    deployer: (token): DeployerReader =>
      cached('deployer', token, (address) =>
        createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, { address, token, deadlineMs }),
      ),
    monitor: (token): MonitorReader =>
      cached('monitor', token, (address) =>
        createGrpcClient<monitorV1.MonitorServiceController>(GrpcServices.monitor, { address, token, deadlineMs }),
      ),
    forget(token) {
      for (const [key, client] of clients)
        if (key.endsWith(`\n${token}`)) {
          client.close();
          clients.delete(key);
        }
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
