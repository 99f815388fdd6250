import {
  type deployerV1,
  type featureStoreV1,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';
import { type PlatformState } from '../platform-state';

/**
 * The platform as its Get calls answer, kept in maps: Set and Create write what a service would
 * then answer (with the defaults a service fills in), so that a plan after an apply sees the
 * apply's result. Only the project logic is under test with it; the services' own behaviour is the
 * project-apply e2e test's. `failWrite` makes a write fail, as a service that went away part
 * way through an apply.
 */
export class RecordedPlatform implements PlatformState {
  readonly datasets = new Map<string, ingestionV1.Dataset>();
  readonly views = new Map<string, featureStoreV1.FeatureView>();
  readonly models = new Map<string, registryV1.Model>();
  readonly promotion = new Map<string, registryV1.PromotionPolicy>();
  readonly retraining = new Map<string, trainerV1.RetrainingPolicy>();
  readonly monitoring = new Map<string, monitorV1.MonitoringPolicy>();
  readonly deployments = new Map<string, deployerV1.Deployment>();
  readonly writes: string[] = [];
  private attempts = 0;
  private failing: number | undefined;

  /** Makes the nth write from now on (1 for the next) fail. */
  failWrite(nth: number): void {
    this.failing = this.attempts + nth;
  }

  /** Counts a write; throws, before anything is stored, for the one set to fail. */
  private record(write: string): void {
    this.attempts += 1;
    if (this.attempts === this.failing) throw new Error(`${write}: service unavailable`);
    this.writes.push(write);
  }

  dataset = async (name: string) => this.datasets.get(name);
  featureView = async (name: string) => this.views.get(name);
  model = async (name: string) => this.models.get(name);
  promotionPolicy = async (model: string) =>
    this.models.has(model)
      ? (this.promotion.get(model) ?? {
          modelName: model,
          autoPromote: true,
          alias: 'production',
          metric: '',
          minAbsoluteImprovement: 0,
          minRelativeImprovement: 0.01,
          minHoldoutRows: 100,
        })
      : undefined;
  retrainingPolicy = async (model: string) =>
    this.retraining.get(model) ?? {
      modelName: model,
      enabled: false,
      cooldown: { seconds: 3600, nanos: 0 },
      dailyBudget: 3,
      minNewRows: 0,
      spec: undefined,
      onDrift: true,
      onPerformanceDegraded: true,
    };
  monitoringPolicy = async (model: string) =>
    this.monitoring.get(model) ?? {
      modelName: model,
      windowSize: 500,
      windowDuration: { seconds: 3600, nanos: 0 },
      minWindowSize: 100,
      featureTests: [],
      driftShareThreshold: 0.5,
      correctForMultipleTests: false,
      maxAccuracyDrop: 0.05,
      minLabelled: 50,
    };
  deployment = async (name: string) => this.deployments.get(name);

  async registerDataset(r: ingestionV1.RegisterDatasetRequest) {
    this.record(`dataset ${r.name}`);
    // The service keeps its defaults in place of zeros.
    const commitPolicy = {
      maxRows: r.commitPolicy?.maxRows || 10_000,
      maxInterval: r.commitPolicy?.maxInterval ?? { seconds: 60, nanos: 0 },
    };
    this.datasets.set(r.name, { ...r, commitPolicy, ownerTeam: 'growth', createTime: new Date(), latestVersion: 0, ingestTopic: '' });
  }
  /** What the ingestion service would say of a dataset update; by default, that it takes it. */
  refuseDatasetUpdate: (request: ingestionV1.UpdateDatasetRequest) => string | undefined = () => undefined;
  datasetUpdateRefusal = async (r: ingestionV1.UpdateDatasetRequest) => this.refuseDatasetUpdate(r);
  async updateDataset(r: ingestionV1.UpdateDatasetRequest) {
    this.record(`dataset ${r.name}`);
    const { validateOnly: _validateOnly, ...definition } = r;
    this.datasets.set(r.name, { ...this.datasets.get(r.name)!, ...definition });
  }
  async applyFeatureView(r: featureStoreV1.ApplyFeatureViewRequest) {
    this.record(`view ${r.name}`);
    const revision = (this.views.get(r.name)?.revision ?? 0) + 1;
    this.views.set(r.name, { ...r, revision, applyTime: new Date(), materialisedDatasetVersion: 0, datasetColumns: [] });
  }
  async createModel(r: registryV1.CreateModelRequest) {
    this.record(`model ${r.name}`);
    this.models.set(r.name, { ...r, ownerTeam: 'growth', createTime: new Date(), aliases: {}, latestVersion: 0 });
  }
  async setPromotionPolicy(p: registryV1.PromotionPolicy) {
    this.record(`promotion ${p.modelName}`);
    this.promotion.set(p.modelName, p);
  }
  async setRetrainingPolicy(p: trainerV1.RetrainingPolicy) {
    this.record(`retraining ${p.modelName}`);
    this.retraining.set(p.modelName, p);
  }
  async setMonitoringPolicy(p: monitorV1.MonitoringPolicy) {
    this.record(`monitoring ${p.modelName}`);
    this.monitoring.set(p.modelName, p);
  }
  async deploy(r: deployerV1.DeployRequest) {
    this.record(`deployment ${r.name}`);
    const previous = this.deployments.get(r.name)?.canaryPolicy;
    const policy = { ...(previous ?? DEFAULT_CANARY) };
    for (const field of r.canaryPolicyFields) {
      const key = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof deployerV1.CanaryPolicy;
      (policy as Record<string, unknown>)[key] = r.canaryPolicy![key];
    }
    this.deployments.set(r.name, {
      name: r.name,
      modelName: r.modelName,
      alias: r.version !== undefined ? '' : (r.alias ?? 'production'),
      state: 1,
      stableVersion: r.version ?? 0,
      canaryVersion: 0,
      canaryTrafficShare: 0,
      canaryPolicy: policy,
      featureView: '',
      canaryStartTime: undefined,
      updateTime: new Date(),
    });
  }
}

export const DEFAULT_CANARY: deployerV1.CanaryPolicy = {
  trafficShare: 0.1,
  minRequests: 200,
  maxErrorRateIncrease: 0.01,
  maxLatencyRatio: 1.5,
  maxAccuracyDrop: 0.02,
  minLabelled: 50,
  maxDuration: { seconds: 3600, nanos: 0 },
};
