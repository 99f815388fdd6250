import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { GrpcServices, type registryV1 } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, InjectConfig } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { DeployerException, DeployerExceptionCode } from './deployer.exception';

const REGISTRY_DEADLINE_MS = 10_000;

/**
 * What the registry says about a model: the owner of models, versions and aliases, asked before
 * a Deploy serves anything. A port, so Deploy unit-tests without a registry.
 */
export abstract class ModelRegistry {
  /** The model's aliases (alias → version); undefined when the registry has no such model. */
  abstract aliasesOf(modelName: string): Promise<Readonly<Record<string, number>> | undefined>;
  /** One version; undefined when there is no such version (or no such model). */
  abstract versionOf(modelName: string, version: number): Promise<registryV1.ModelVersion | undefined>;
  /** Whether the model's promotion policy lets the deployer create its deployment on its own (yes unless it says no). */
  abstract deploysAutomatically(modelName: string): Promise<boolean>;
}

/** The registry's GetModel and GetModelVersion over gRPC, with this service's own token. */
@Injectable()
export class GrpcModelRegistry extends ModelRegistry implements OnModuleDestroy {
  private client: GrpcClient<registryV1.RegistryServiceController> | undefined;

  constructor(@InjectConfig() private readonly config: DeployerConfig) {
    super();
  }

  async aliasesOf(modelName: string): Promise<Readonly<Record<string, number>> | undefined> {
    const response = await this.call(() => this.registry().getModel({ name: modelName }));
    return response ? (response.model?.aliases ?? {}) : undefined;
  }

  async versionOf(modelName: string, version: number): Promise<registryV1.ModelVersion | undefined> {
    const response = await this.call(() => this.registry().getModelVersion({ modelName, version }));
    return response?.version ?? undefined;
  }

  async deploysAutomatically(modelName: string): Promise<boolean> {
    const response = await this.call(() => this.registry().getPromotionPolicy({ modelName }));
    return response?.policy?.autoDeploy !== false;
  }

  onModuleDestroy(): void {
    this.client?.close();
  }

  private registry(): GrpcClient<registryV1.RegistryServiceController> {
    // Created on first use: only Deploy asks the registry.
    this.client ??= createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, {
      address: this.config.REGISTRY_GRPC_ADDRESS,
      token: this.config.FLYWHEEL_SERVICE_TOKEN,
      deadlineMs: REGISTRY_DEADLINE_MS,
      maxMessageBytes: this.config.GRPC_MAX_MESSAGE_BYTES,
      // Reads only.
      retryUnavailable: true,
    });
    return this.client;
  }

  /** NOT_FOUND is an answer (undefined); any other failure means the registry could not be asked. */
  private async call<T>(request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (error) {
      const { code, details } = error as Partial<ServiceError>;
      if (code === GrpcStatus.NOT_FOUND) return undefined;
      const status = code === undefined ? '' : `${GrpcStatus[code]}: `;
      throw new DeployerException(
        `the registry at ${this.config.REGISTRY_GRPC_ADDRESS} could not be asked: ${status}${details ?? (error as Error).message}`,
        DeployerExceptionCode.REGISTRY_UNAVAILABLE,
      );
    }
  }
}
