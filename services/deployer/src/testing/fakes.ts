// Fakes of the deployer's ports for unit tests: no database, Kafka, S3 or wall clock.
import { commonV1, type deployerV1, registryV1 } from '@flywheel/contracts';
import { categoricalColumn, fitModel, loadModel, makeTable, type ModelArtifact, numericColumn, Rng } from '@flywheel/ml';
import { type TransactionRunner } from '@flywheel/persistence';
import { JsonLogger, loadConfig } from '@flywheel/platform';
import { modelArtifactKey } from '@flywheel/storage';
import { type EntityManager } from 'typeorm';
import { type DeployerConfig, deployerConfigSchema } from '../deployer.config';
import { type CanaryPolicyValues, type DeploymentRecord, type ModelVersionRecord } from '../deployments/deployment';
import {
  changeTimeOf,
  type DeploymentChangeCursor,
  type DeploymentChangeFilter,
  DeploymentRepository,
  type StoredDeploymentChange,
} from '../deployments/deployment.repository';
import { ModelRegistry } from '../deployments/model-registry';
import { PredictionLog } from '../prediction-log/prediction-log';
import { DeploymentEvents } from '../rollout/deployment-events';
import { ArtifactRejectedError } from '../serving/artifact-rejected.error';
import { ModelLoader } from '../serving/model-loader';
import { type ServableModel } from '../serving/servable-model';
import { type OnlineLookup, OnlineFeatures } from '../serving/online-features';

export function testConfig(env: Record<string, string> = {}): DeployerConfig {
  return loadConfig(deployerConfigSchema, {
    DATABASE_URL: 'postgres://flywheel:secret@127.0.0.1:5433/flywheel_deployer',
    FLYWHEEL_TOKENS_FILE: '/nonexistent/tokens.json',
    S3_ACCESS_KEY: 'test-access',
    S3_SECRET_KEY: 'test-secret-key',
    ...env,
  });
}

/** The deployer's default canary policy, as its configuration's defaults give it. */
export const DEFAULT_CANARY_POLICY: CanaryPolicyValues = {
  trafficShare: 0.1,
  minRequests: 200,
  maxErrorRateIncrease: 0.01,
  maxLatencyRatio: 1.5,
  maxAccuracyDrop: 0.02,
  minLabelled: 50,
  maxDurationMs: 3_600_000,
};

export const silentLogger = (): JsonLogger => new JsonLogger({ service: 'deployer', level: 'fatal', write: () => undefined });

export class FakeDeploymentRepository extends DeploymentRepository {
  readonly deployments = new Map<string, DeploymentRecord>();
  readonly versions = new Map<string, ModelVersionRecord>();

  async get(name: string): Promise<DeploymentRecord | undefined> {
    return this.deployments.get(name);
  }

  async getForUpdate(name: string): Promise<DeploymentRecord | undefined> {
    return this.deployments.get(name);
  }

  async findFollowingForUpdate(modelName: string, alias: string): Promise<DeploymentRecord[]> {
    return [...this.deployments.values()].filter((d) => d.modelName === modelName && d.alias === alias);
  }

  async list(afterName: string, limit: number): Promise<DeploymentRecord[]> {
    return (await this.listAll()).filter((d) => d.name > afterName).slice(0, limit);
  }

  async listAll(): Promise<DeploymentRecord[]> {
    return [...this.deployments.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async insert(record: DeploymentRecord): Promise<void> {
    if (this.deployments.has(record.name)) throw new Error(`duplicate deployment ${record.name}`);
    this.deployments.set(record.name, record);
  }

  async update(record: DeploymentRecord): Promise<boolean> {
    const current = this.deployments.get(record.name);
    if (!current || current.revision !== record.revision - 1) return false;
    this.deployments.set(record.name, record);
    return true;
  }

  async saveVersion(version: ModelVersionRecord): Promise<void> {
    const key = `${version.modelName}/${version.version}`;
    if (!this.versions.has(key)) this.versions.set(key, version);
  }

  async getVersion(modelName: string, version: number): Promise<ModelVersionRecord | undefined> {
    return this.versions.get(`${modelName}/${version}`);
  }

  /** The kept changes, in the list's order: newest first (change time, then id, both descending). */
  changes: StoredDeploymentChange[] = [];

  async appendChange(stored: StoredDeploymentChange, keep: number): Promise<void> {
    if (this.changes.some((c) => c.id === stored.id)) throw new Error(`duplicate change ${stored.id}`);
    const sorted = [...this.changes, stored].sort(newestFirst);
    let kept = 0;
    this.changes = sorted.filter((c) => c.change.deployment !== stored.change.deployment || ++kept <= keep);
  }

  async listChanges(
    filter: DeploymentChangeFilter,
    after: DeploymentChangeCursor | undefined,
    limit: number,
  ): Promise<StoredDeploymentChange[]> {
    return this.changes
      .filter((c) => filter.deployment === undefined || c.change.deployment === filter.deployment)
      .filter((c) => filter.modelName === undefined || c.change.modelName === filter.modelName)
      .filter((c) => after === undefined || newestFirst(c, { id: after[1], changeTime: new Date(after[0]) }) > 0)
      .slice(0, limit);
  }
}

/** Orders changes newest first: by change time, then id, both descending. */
function newestFirst(a: StoredDeploymentChange, b: StoredDeploymentChange | { id: string; changeTime: Date }): number {
  const bTime = 'change' in b ? changeTimeOf(b.change) : b.changeTime;
  const byTime = bTime.getTime() - changeTimeOf(a.change).getTime();
  return byTime !== 0 ? byTime : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export interface PublishedChange {
  readonly id: string;
  readonly change: deployerV1.DeploymentChanged;
  readonly causationId: string | null | undefined;
}

export class FakeDeploymentEvents extends DeploymentEvents {
  readonly published: PublishedChange[] = [];

  async publish(_manager: EntityManager, change: deployerV1.DeploymentChanged, causationId?: string | null): Promise<string> {
    const id = `event-${this.published.length + 1}`;
    this.published.push({ id, change, causationId });
    return id;
  }
}

/** Models, versions and aliases as the registry would answer them; counts the questions. */
export class FakeModelRegistry extends ModelRegistry {
  readonly models = new Map<string, { aliases: Record<string, number>; versions: Map<number, registryV1.ModelVersion> }>();
  /** Models whose promotion policy says `auto_deploy: false`. */
  readonly notDeployedAutomatically = new Set<string>();
  lookups = 0;

  /** Registers `version` of `modelName` with its artifact at the trainer's key (sha256 `a…a`). */
  addVersion(modelName: string, version: number, featureView = 'claims_features'): registryV1.ModelVersion {
    return this.register(
      registryV1.ModelVersion.fromPartial({
        modelName,
        version,
        artifact: {
          key: modelArtifactKey(modelName, version, 'model.json'),
          sha256: 'a'.repeat(64),
          sizeBytes: 100,
          contentType: 'application/json',
        },
        task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
        lineage: { featureView },
      }),
    );
  }

  register(version: registryV1.ModelVersion): registryV1.ModelVersion {
    const model = this.models.get(version.modelName) ?? { aliases: {}, versions: new Map<number, registryV1.ModelVersion>() };
    this.models.set(version.modelName, model);
    model.versions.set(version.version, version);
    return version;
  }

  setAlias(modelName: string, alias: string, version: number): void {
    this.models.get(modelName)!.aliases[alias] = version;
  }

  async aliasesOf(modelName: string): Promise<Readonly<Record<string, number>> | undefined> {
    this.lookups++;
    const model = this.models.get(modelName);
    return model ? { ...model.aliases } : undefined;
  }

  async versionOf(modelName: string, version: number): Promise<registryV1.ModelVersion | undefined> {
    this.lookups++;
    return this.models.get(modelName)?.versions.get(version);
  }

  async deploysAutomatically(modelName: string): Promise<boolean> {
    this.lookups++;
    return !this.notDeployedAutomatically.has(modelName);
  }
}

/** Runs the work with no manager: the fakes above ignore it. */
export const fakeTransactions = {
  run: <T>(work: (manager: EntityManager) => Promise<T>) => work(undefined as unknown as EntityManager),
} as unknown as TransactionRunner;

/** Artifacts by key, loaded the way the object-store loader loads them; `rejected` keys fail with their reason. */
export class FakeModelLoader extends ModelLoader {
  readonly artifacts = new Map<string, ModelArtifact>();
  /** Models of other kinds (an ONNX graph's, a stub), by artifact key: made anew at each load. */
  readonly models = new Map<string, () => Promise<ServableModel>>();
  readonly rejected = new Map<string, string>();
  loads = 0;

  async load(version: ModelVersionRecord): Promise<ServableModel> {
    const reason = this.rejected.get(version.artifactKey);
    if (reason) throw new ArtifactRejectedError(reason);
    const model = this.models.get(version.artifactKey);
    if (model) {
      this.loads++;
      return model();
    }
    const artifact = this.artifacts.get(version.artifactKey);
    if (!artifact) throw new Error(`object ${version.artifactKey} does not exist`);
    this.loads++;
    return loadModel(JSON.stringify(artifact));
  }
}

export class FakePredictionLog extends PredictionLog {
  readonly records: Array<{ prediction: deployerV1.PredictionLogged; traceparent: string | null }> = [];

  append(prediction: deployerV1.PredictionLogged, traceparent: string | null): void {
    this.records.push({ prediction, traceparent });
  }
}

export class FakeOnlineFeatures extends OnlineFeatures {
  readonly entities = new Map<string, OnlineLookup>();
  readonly calls: Array<{ featureView: string; entityKey: string; features: readonly string[] }> = [];

  async lookup(featureView: string, entityKey: string, features: readonly string[]): Promise<OnlineLookup> {
    this.calls.push({ featureView, entityKey, features });
    return this.entities.get(`${featureView}/${entityKey}`) ?? { status: 'missing' };
  }
}

/**
 * A small fraud classifier fitted with libs/ml: fraud is likelier with a large amount, more so in
 * the north. `extraFeature` adds a feature the traffic of the tests never sends.
 */
export function fraudArtifact(options: { seed?: number; extraFeature?: string; flipLabels?: boolean } = {}): ModelArtifact {
  return fitModel({
    table: fraudTable(options),
    label: 'fraud',
    algo: 'logreg',
    seed: options.seed ?? 7,
    now: new Date('2026-01-01T00:00:00Z'),
  });
}

/**
 * A crafted gbdt artifact for the fraud features, about `bytes` long: every tree is a chain of
 * `depth` splits, deeper than any tree the trainer grows, repeated until the file is that big.
 */
export function deepTreesArtifact(bytes: number, depth = 20_000): Buffer {
  const base = fitModel({
    table: fraudTable({}),
    label: 'fraud',
    algo: 'gbdt',
    params: { task: 'classification', maxIter: 1 },
    seed: 7,
    now: new Date('2026-01-01T00:00:00Z'),
  });
  // Node 2k splits on feature 0 with a leaf on its left and node 2k + 2 on its right.
  const nodes = 2 * depth + 1;
  const at = (f: (i: number) => number | string) => Array.from({ length: nodes }, (_, i) => f(i)).join(',');
  const split = (i: number) => i % 2 === 0 && i < nodes - 1;
  const tree =
    `{"feature":[${at((i) => (split(i) ? 0 : -1))}],"threshold":[${at((i) => i)}],"missingLeft":[${at(() => 0)}],` +
    `"left":[${at((i) => (split(i) ? i + 1 : -1))}],"right":[${at((i) => (split(i) ? i + 2 : -1))}],"value":[${at(() => 0.5)}]}`;
  const count = Math.max(1, Math.ceil(bytes / tree.length));
  const text = JSON.stringify({ ...base, model: { ...base.model, trees: [] } });
  return Buffer.from(text.replace('"trees":[]', `"trees":[${new Array<string>(count).fill(tree).join(',')}]`));
}

/** The fraud data the fakes fit: amount, region and a 0/1 label (plus `extraFeature`). */
export function fraudTable(options: { seed?: number; extraFeature?: string; flipLabels?: boolean }) {
  const rng = new Rng(options.seed ?? 7);
  const n = 400;
  const amount: number[] = [];
  const region: string[] = [];
  const extra: number[] = [];
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 100;
    const r = rng.next() < 0.5 ? 'north' : 'south';
    const fraud = a + (r === 'north' ? 15 : 0) + rng.next() * 20 > 70 ? 1 : 0;
    amount.push(a);
    region.push(r);
    extra.push(rng.next());
    label.push(options.flipLabels ? 1 - fraud : fraud);
  }
  const columns = [numericColumn('amount', amount), categoricalColumn('region', region), numericColumn('fraud', label)];
  if (options.extraFeature) columns.push(numericColumn(options.extraFeature, extra));
  return makeTable(columns);
}
