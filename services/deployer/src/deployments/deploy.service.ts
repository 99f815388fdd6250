import { Inject, Injectable } from '@nestjs/common';
import { type deployerV1 } from '@flywheel/contracts';
import { type CallerIdentity, Clock, InjectConfig } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { RolloutService } from '../rollout/rollout.service';
import { ArtifactRejectedError } from '../serving/artifact-rejected.error';
import { ServedModels } from '../serving/served-models';
import { DeployerException, DeployerExceptionCode } from './deployer.exception';
import { parseDeployRequest, type DeploySpec } from './deploy-request';
import { type DeploymentRecord, type ModelVersionRecord } from './deployment';
import { ModelRegistry } from './model-registry';
import { servableVersionOf, UnservableVersionError } from './servable-version';

/**
 * Deploy: checks the request, asks the registry what to serve (the pinned version, or the
 * followed alias's version), loads that model (sha256 checked) before anything commits, then
 * lets the rollout state machine make the change with its event.
 */
@Injectable()
export class DeployService {
  constructor(
    @Inject(ModelRegistry) private readonly registry: ModelRegistry,
    @Inject(RolloutService) private readonly rollout: RolloutService,
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() private readonly config: DeployerConfig,
  ) {}

  async deploy(request: deployerV1.DeployRequest, caller: CallerIdentity | undefined): Promise<DeploymentRecord> {
    const spec = parseDeployRequest(request, { followAlias: this.config.DEPLOYER_FOLLOW_ALIAS, policy: this.rollout.defaultPolicy() });
    const target = await this.targetOf(spec);
    if (target) await this.load(target);
    return this.rollout.deploy(spec, target, caller);
  }

  /** The version to serve as the registry describes it; undefined when the followed alias is not set. */
  private async targetOf(spec: DeploySpec): Promise<ModelVersionRecord | undefined> {
    let number = spec.version;
    if (spec.alias) {
      const aliases = await this.registry.aliasesOf(spec.modelName);
      if (!aliases) throw modelNotFound(spec.modelName);
      number = aliases[spec.alias] ?? 0;
      if (number <= 0) return undefined;
    }
    const version = await this.registry.versionOf(spec.modelName, number);
    if (!version) {
      if (!spec.alias && !(await this.registry.aliasesOf(spec.modelName))) throw modelNotFound(spec.modelName);
      throw new DeployerException(
        `model ${spec.modelName} has no version ${number} in the registry`,
        DeployerExceptionCode.VERSION_UNKNOWN,
      );
    }
    try {
      return servableVersionOf(version, 'version', this.clock.now());
    } catch (error) {
      if (!(error instanceof UnservableVersionError)) throw error;
      throw new DeployerException(
        `model ${spec.modelName} v${number} cannot be served: ${error.message}`,
        DeployerExceptionCode.VERSION_UNSERVABLE,
      );
    }
  }

  /** A version that cannot be loaded must not become the served one. */
  private async load(target: ModelVersionRecord): Promise<void> {
    try {
      await this.served.preload(target);
    } catch (error) {
      throw new DeployerException(
        `model ${target.modelName} v${target.version} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof ArtifactRejectedError ? DeployerExceptionCode.ARTIFACT_REJECTED : DeployerExceptionCode.MODEL_UNAVAILABLE,
      );
    }
  }
}

function modelNotFound(modelName: string): DeployerException {
  return new DeployerException(`model ${modelName} is not in the registry`, DeployerExceptionCode.MODEL_NOT_FOUND);
}
