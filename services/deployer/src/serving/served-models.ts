import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { commonV1 } from '@flywheel/contracts';
import { TableChanges } from '@flywheel/persistence';
import { InjectConfig, JsonLogger } from '@flywheel/platform';
import { type DeploymentRecord, type ModelVersionRecord } from '../deployments/deployment';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { type DeployerConfig } from '../deployer.config';
import { LiveStats } from './live-stats';
import { ModelLoader } from './model-loader';
import { type ServableModel } from './servable-model';

export interface ServedVersion {
  readonly record: ModelVersionRecord;
  readonly model: ServableModel;
  /** The task as the prediction log names it. */
  readonly task: commonV1.ModelTask;
}

export interface ServedDeployment {
  readonly deployment: DeploymentRecord;
  readonly stable?: ServedVersion;
  readonly canary?: ServedVersion;
}

/** The versions a deployment serves now, stable first. */
export function servedVersions(served: ServedDeployment): number[] {
  return [served.stable, served.canary].flatMap((v) => (v ? [v.record.version] : []));
}

/**
 * The models this process serves, per deployment: an in-memory mirror of the deployments table
 * with their models loaded. A change made here is installed at once; the table stays the truth,
 * read at boot (models reloaded from the object store), whenever a commit changes it (its
 * trigger NOTIFYs: other replicas' changes) and every DEPLOYMENT_SYNC_INTERVAL_MS in case a
 * notification was lost. A mirror only moves to a higher revision.
 */
@Injectable()
export class ServedModels implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly served = new Map<string, ServedDeployment>();
  private readonly models = new Map<string, Promise<ServableModel>>();
  private readonly installed = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;

  constructor(
    @Inject(DeploymentRepository) private readonly repository: DeploymentRepository,
    @Inject(ModelLoader) private readonly loader: ModelLoader,
    @Inject(LiveStats) private readonly stats: LiveStats,
    @InjectConfig() private readonly config: DeployerConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(TableChanges) private readonly changes: TableChanges,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    this.stopListening = this.changes.onChange('deployments', () => this.syncSoon());
    this.timer = setInterval(() => this.syncSoon(), this.config.DEPLOYMENT_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopListening?.();
    clearInterval(this.timer);
    await this.syncing;
  }

  /** Calls `listener` after each deployment this process starts serving differently; returns how to stop. */
  onInstall(listener: () => void): () => void {
    this.installed.add(listener);
    return () => this.installed.delete(listener);
  }

  /** A sync in the background; one at a time, and one more if asked meanwhile. */
  private syncSoon(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = this.sync()
      .catch((error: Error) => this.logger.entry('error', 'deployment sync failed; serving what is loaded', { error: error.message }))
      .finally(() => {
        this.syncing = undefined;
        if (this.syncAgain) {
          this.syncAgain = false;
          this.syncSoon();
        }
      });
  }

  get(name: string): ServedDeployment | undefined {
    return this.served.get(name);
  }

  all(): ServedDeployment[] {
    return [...this.served.values()];
  }

  /** Loads a version (once; concurrent callers share the load), e.g. before a change commits. */
  preload(version: ModelVersionRecord): Promise<ServableModel> {
    const key = modelKey(version);
    let model = this.models.get(key);
    if (!model) {
      model = this.loader.load(version);
      this.models.set(key, model);
      model.catch(() => this.models.delete(key));
    }
    return model;
  }

  /**
   * Serves `deployment` as recorded. `known` are versions not committed yet (the change that
   * introduces them is still in its transaction); others are read from the repository.
   */
  async install(deployment: DeploymentRecord, known: readonly ModelVersionRecord[] = []): Promise<void> {
    if (!this.isNewer(deployment)) return;
    const version = async (v: number): Promise<ServedVersion | undefined> => {
      if (v <= 0) return undefined;
      const record =
        known.find((k) => k.modelName === deployment.modelName && k.version === v) ??
        (await this.repository.getVersion(deployment.modelName, v));
      if (!record) throw new Error(`deployment ${deployment.name}: model ${deployment.modelName} v${v} is not recorded`);
      const model = await this.preload(record);
      return { record, model, task: taskOf(model) };
    };
    const [stable, canary] = await Promise.all([version(deployment.stableVersion), version(deployment.canaryVersion)]);
    // Another install may have finished while the models loaded.
    if (!this.isNewer(deployment)) return;
    this.served.set(deployment.name, { deployment, stable, canary });
    const regression = (canary ?? stable)?.model.task === 'regression';
    this.stats.enterPhase(deployment.name, `${deployment.stableVersion}/${deployment.canaryVersion}`, regression);
    this.evictUnused();
    for (const listener of [...this.installed]) listener();
  }

  /** Reads every deployment and installs those that changed. */
  async sync(): Promise<void> {
    const deployments = await this.repository.listAll();
    for (const deployment of deployments) {
      try {
        await this.install(deployment);
      } catch (error) {
        // One bad artifact must not keep the other deployments from being served.
        this.logger.entry('error', 'could not load the models of a deployment', {
          deployment: deployment.name,
          stableVersion: deployment.stableVersion,
          canaryVersion: deployment.canaryVersion,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  private isNewer(deployment: DeploymentRecord): boolean {
    const current = this.served.get(deployment.name);
    return !current || current.deployment.revision < deployment.revision;
  }

  private evictUnused(): void {
    const used = new Set<string>();
    for (const { stable, canary } of this.served.values()) {
      if (stable) used.add(modelKey(stable.record));
      if (canary) used.add(modelKey(canary.record));
    }
    for (const [key, model] of this.models) {
      if (used.has(key)) continue;
      this.models.delete(key);
      // An ONNX version's session lives in the runtime's process, not in this heap: free it with the
      // version. (A load that failed held nothing; it was logged where it was awaited.)
      model
        .then(
          (m) => m.release?.(),
          () => undefined,
        )
        .catch((error: unknown) =>
          this.logger.entry('warn', 'could not release an evicted model', {
            error: error instanceof Error ? error.message : String(error),
          }),
        );
    }
  }
}

function modelKey(version: ModelVersionRecord): string {
  return `${version.modelName}\u0000${version.version}\u0000${version.artifactSha256}`;
}

function taskOf(model: ServableModel): commonV1.ModelTask {
  switch (model.task) {
    case 'regression':
      return commonV1.ModelTask.MODEL_TASK_REGRESSION;
    case 'binary':
      return commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION;
    default:
      return commonV1.ModelTask.MODEL_TASK_UNSPECIFIED;
  }
}
