import { type monitorV1, type registryV1, type trainerV1 } from '@flywheel/contracts';
import { diffFields, type FieldChange, flatten } from './field-diff';
import { type LoadedProject, type Located } from './project-file';
import { type PlatformState } from './platform-state';
import { type DatasetDefinition, type DeploymentDefinition, type FeatureViewDefinition, type ModelDefinition } from './project.schema';
import * as shapes from './project-shapes';

export type ObjectKind =
  'dataset' | 'feature view' | 'model' | 'training spec' | 'promotion policy' | 'retraining policy' | 'monitoring policy' | 'deployment';

export type Action = 'create' | 'change' | 'unchanged' | 'refused';

/** One object of the project against the platform: what apply would do to it, and why. */
export interface PlannedObject {
  readonly kind: ObjectKind;
  readonly name: string;
  /** Where the project defines it, `file:line:column`. */
  readonly source: string;
  readonly action: Action;
  /** Fields that differ (every field written, for a create). */
  readonly changes: readonly FieldChange[];
  /** Why a refused object cannot be made so. */
  readonly reason?: string;
  /** Makes it so; set for create and change. Reads again what it merges with, so it writes over nothing newer. */
  readonly apply?: (platform: PlatformState) => Promise<void>;
}

export interface ProjectPlan {
  readonly objects: readonly PlannedObject[];
  /** References the platform cannot satisfy (a view over a dataset that exists nowhere), `file:line:column: …`. */
  readonly problems: readonly string[];
}

/** Whether apply may go ahead: nothing refused and every reference satisfied. */
export const planIsApplicable = (plan: ProjectPlan) => plan.problems.length === 0 && plan.objects.every((o) => o.action !== 'refused');

/** Compares every object of `project` with what `platform` has. Reads only. */
export async function planProject(project: LoadedProject, platform: PlatformState): Promise<ProjectPlan> {
  const reads = new Reads(platform);
  const groups = await Promise.all([
    ...project.datasets.map((d) => planDataset(d, reads).then((o) => [o])),
    ...project.featureViews.map((v) => planFeatureView(v, reads).then((o) => [o])),
    ...project.models.map((m) => planModel(m, reads)),
    ...project.deployments.map((d) => planDeployment(d, reads).then((o) => [o])),
  ]);
  return { objects: groups.flat(), problems: await referenceProblems(project, reads) };
}

/** Each read once per plan, however many objects ask for it (a model's three policies, a view's dataset). */
class Reads {
  private readonly cache = new Map<string, Promise<unknown>>();
  constructor(readonly platform: PlatformState) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.cache.has(key)) this.cache.set(key, read());
    return this.cache.get(key) as Promise<T>;
  }

  dataset = (name: string) => this.once(`dataset ${name}`, () => this.platform.dataset(name));
  featureView = (name: string) => this.once(`view ${name}`, () => this.platform.featureView(name));
  model = (name: string) => this.once(`model ${name}`, () => this.platform.model(name));
  promotionPolicy = (model: string) => this.once(`promotion ${model}`, () => this.platform.promotionPolicy(model));
  retrainingPolicy = (model: string) => this.once(`retraining ${model}`, () => this.platform.retrainingPolicy(model));
  monitoringPolicy = (model: string) => this.once(`monitoring ${model}`, () => this.platform.monitoringPolicy(model));
  deployment = (name: string) => this.once(`deployment ${name}`, () => this.platform.deployment(name));
}

type Planned = Omit<PlannedObject, 'kind' | 'name' | 'source'>;

/** create / change / unchanged from the fields that differ. */
function compared(
  desired: Map<string, string>,
  current: Map<string, string> | undefined,
  fields: Iterable<string> | undefined,
  apply: PlannedObject['apply'],
): Planned {
  // The name is the object's identity, in the plan's heading; it is never a change.
  const changes = diffFields(desired, current ?? new Map(), fields).filter((c) => c.field !== 'name');
  if (!current) return { action: 'create', changes, apply };
  return changes.length === 0 ? { action: 'unchanged', changes } : { action: 'change', changes, apply };
}

const writtenFields = (definition: unknown) => flatten(definition).keys();

async function planDataset({ definition: d, source }: Located<DatasetDefinition>, reads: Reads): Promise<PlannedObject> {
  const request = shapes.registerDatasetRequest(d);
  const current = await reads.dataset(d.name);
  const desired = flatten(shapes.datasetShape(request));
  const planned = compared(desired, current && flatten(shapes.datasetShape(current)), writtenFields(d), (p) => p.registerDataset(request));
  const base = { kind: 'dataset', name: d.name, source } as const;
  if (planned.action !== 'change') return { ...base, ...planned };
  // A registered dataset's contract may only be relaxed: the ingestion service judges the change.
  const update = shapes.updateDatasetRequest(d, current!);
  const reason = await reads.platform.datasetUpdateRefusal(update);
  if (reason !== undefined) return { ...base, action: 'refused', changes: planned.changes, reason };
  return { ...base, ...planned, apply: (p) => p.updateDataset(update) };
}

async function planFeatureView({ definition: v, source }: Located<FeatureViewDefinition>, reads: Reads): Promise<PlannedObject> {
  const request = shapes.applyFeatureViewRequest(v);
  const current = await reads.featureView(v.name);
  // A view is applied whole: a field the project drops is dropped from the view.
  const planned = compared(
    flatten(shapes.featureViewShape(request)),
    current && flatten(shapes.featureViewShape(current)),
    undefined,
    (p) => p.applyFeatureView(request),
  );
  return { kind: 'feature view', name: v.name, source, ...planned };
}

async function planModel(located: Located<ModelDefinition>, reads: Reads): Promise<PlannedObject[]> {
  const { definition: m, source } = located;
  const objects: PlannedObject[] = [];
  const request = shapes.createModelRequest(m);
  const current = await reads.model(m.name);
  const model = compared(flatten(shapes.modelShape(request)), current && flatten(shapes.modelShape(current)), undefined, (p) =>
    p.createModel(request),
  );
  // A new model's policies are new too, whatever defaults a service would answer for a name it does not know.
  const policyOf = async <P>(read: (model: string) => Promise<P | undefined>) => (current ? read(m.name) : undefined);
  // A model registered from runs before anyone created it has no owner yet: creating it claims it.
  const claimable = current !== undefined && current.ownerTeam === '';
  objects.push(
    model.action === 'change' && !claimable
      ? {
          kind: 'model',
          name: m.name,
          source,
          action: 'refused',
          changes: model.changes,
          reason: "the registry keeps a model's description and tags as created",
        }
      : { kind: 'model', name: m.name, source, ...model },
  );

  if (m.training) {
    const spec = shapes.modelSpec(m.name, m.training);
    const policy = await policyOf(reads.retrainingPolicy);
    const planned = compared(
      flatten(shapes.trainingShape(spec)),
      policy?.spec ? flatten(shapes.trainingShape(policy.spec)) : undefined,
      undefined,
      async (p) =>
        p.setRetrainingPolicy({ ...((await p.retrainingPolicy(m.name)) ?? shapes.EMPTY_RETRAINING_POLICY), modelName: m.name, spec }),
    );
    objects.push({ kind: 'training spec', name: m.name, source: located.at('training'), ...planned });
  }
  const policies = [
    m.promotion &&
      planPolicy(m.promotion, shapes.promotionPolicy(m.name, m.promotion), POLICIES.promotion, await policyOf(reads.promotionPolicy)),
    m.retraining &&
      planPolicy(m.retraining, shapes.retrainingPolicy(m.name, m.retraining), POLICIES.retraining, await policyOf(reads.retrainingPolicy)),
    m.monitoring &&
      planPolicy(m.monitoring, shapes.monitoringPolicy(m.name, m.monitoring), POLICIES.monitoring, await policyOf(reads.monitoringPolicy)),
  ];
  for (const planned of policies)
    if (planned) objects.push({ kind: planned.kind, name: m.name, source: located.at(planned.field), ...planned.planned });
  return objects;
}

/** How one of a model's policies is read, written, shown and defaulted. */
interface PolicyAccess<P> {
  readonly kind: ObjectKind;
  /** Its field in the project's model. */
  readonly field: 'promotion' | 'retraining' | 'monitoring';
  readonly empty: P;
  shape(policy: P): Record<string, unknown>;
  read(platform: PlatformState, model: string): Promise<P | undefined>;
  write(platform: PlatformState, policy: P): Promise<void>;
}

const POLICIES = {
  promotion: {
    kind: 'promotion policy',
    field: 'promotion',
    empty: shapes.EMPTY_PROMOTION_POLICY,
    shape: shapes.promotionShape,
    read: (p, model) => p.promotionPolicy(model),
    write: (p, policy) => p.setPromotionPolicy(policy),
  } satisfies PolicyAccess<registryV1.PromotionPolicy>,
  retraining: {
    kind: 'retraining policy',
    field: 'retraining',
    empty: shapes.EMPTY_RETRAINING_POLICY,
    shape: shapes.retrainingShape,
    read: (p, model) => p.retrainingPolicy(model),
    write: (p, policy) => p.setRetrainingPolicy(policy),
  } satisfies PolicyAccess<trainerV1.RetrainingPolicy>,
  monitoring: {
    kind: 'monitoring policy',
    field: 'monitoring',
    empty: shapes.EMPTY_MONITORING_POLICY,
    shape: shapes.monitoringShape,
    read: (p, model) => p.monitoringPolicy(model),
    write: (p, policy) => p.setMonitoringPolicy(policy),
  } satisfies PolicyAccess<monitorV1.MonitoringPolicy>,
};

/**
 * A policy compared by the fields the project writes; applied as what the platform has then
 * (or the empty policy) with those fields on top.
 */
function planPolicy<P extends { modelName: string }>(
  definition: object,
  written: Partial<P>,
  access: PolicyAccess<P>,
  current: P | undefined,
): { kind: ObjectKind; field: PolicyAccess<P>['field']; planned: Planned } {
  const model = written.modelName!;
  const planned = compared(
    flatten(access.shape({ ...(current ?? access.empty), ...written })),
    current && flatten(access.shape(current)),
    writtenFields(definition),
    async (p) => access.write(p, { ...((await access.read(p, model)) ?? access.empty), ...written }),
  );
  return { kind: access.kind, field: access.field, planned };
}

async function planDeployment({ definition: d, source }: Located<DeploymentDefinition>, reads: Reads): Promise<PlannedObject> {
  const current = await reads.deployment(d.name);
  const request = shapes.deployRequest(d, 'flywheel apply');
  const planned = compared(
    flatten(shapes.deploymentDefinitionShape(d)),
    current && flatten(shapes.deploymentShape(current)),
    new Set(['model', ...writtenFields(d)]),
    (p) => p.deploy(request),
  );
  const base = { kind: 'deployment', name: d.name, source } as const;
  if (planned.action === 'change' && planned.changes.some((c) => c.field === 'model'))
    return {
      ...base,
      action: 'refused',
      changes: planned.changes,
      reason: 'a deployment serves one model; name a new deployment for another',
    };
  return { ...base, ...planned };
}

/** Names and columns the project refers to that neither the project nor the platform has. */
async function referenceProblems(project: LoadedProject, reads: Reads): Promise<string[]> {
  const problems: string[] = [];
  const columnsOf = async (dataset: string): Promise<Map<string, string> | undefined> => {
    const inProject = project.datasets.find((d) => d.definition.name === dataset)?.definition;
    if (inProject) return new Map(inProject.contract.columns.map((c) => [c.name, c.type]));
    const registered = await reads.dataset(dataset);
    return registered && new Map(flattenColumns(registered));
  };
  const viewOf = async (name: string) => {
    const inProject = project.featureViews.find((v) => v.definition.name === name)?.definition;
    if (inProject) return { dataset: inProject.dataset, features: inProject.features.map((f) => f.name) };
    const applied = await reads.featureView(name);
    return applied && { dataset: applied.dataset, features: applied.features.map((f) => f.name) };
  };

  for (const { definition: v, at } of project.featureViews) {
    const columns = await columnsOf(v.dataset);
    if (!columns) {
      problems.push(`${at('dataset')}: feature view "${v.name}": dataset "${v.dataset}" is neither in the project nor registered`);
      continue;
    }
    const used = [
      ['entityKey', v.entityKey, at('entityKey')],
      ['eventTimeColumn', v.eventTimeColumn, at('eventTimeColumn')],
      ...v.features.filter((f) => f.column !== undefined).map((f) => [`features[${f.name}].column`, f.column!, at('features')]),
    ];
    for (const [field, column, place] of used)
      if (!columns.has(column!))
        problems.push(`${place}: feature view "${v.name}": ${field}: dataset "${v.dataset}" has no column "${column}"`);
  }
  for (const { definition: m, at } of project.models) {
    if (!m.training) continue;
    const source = at('training');
    const t = m.training;
    const view = await viewOf(t.featureView);
    if (!view) {
      problems.push(`${source}: model "${m.name}": training.featureView: "${t.featureView}" is neither in the project nor applied`);
      continue;
    }
    for (const feature of t.features ?? [])
      if (!view.features.includes(feature))
        problems.push(`${source}: model "${m.name}": training.features: view "${t.featureView}" has no feature "${feature}"`);
    // A view over a dataset that exists nowhere is reported above.
    const columns = await columnsOf(view.dataset);
    if (!columns) continue;
    const labelType = columns.get(t.label);
    if (labelType === undefined)
      problems.push(`${source}: model "${m.name}": training.label: dataset "${view.dataset}" has no column "${t.label}"`);
    else if (!labelFits(labelType, t))
      problems.push(`${source}: model "${m.name}": training.label: a ${labelType} label cannot train ${taskOf(t)}`);
  }
  for (const { definition: d, at } of project.deployments) {
    const model = d.model ?? d.name;
    if (!project.models.some((m) => m.definition.name === model) && !(await reads.model(model)))
      problems.push(`${at('model')}: deployment "${d.name}": model "${model}" is neither in the project nor registered`);
  }
  return problems;
}

function flattenColumns(dataset: NonNullable<Awaited<ReturnType<PlatformState['dataset']>>>): [string, string][] {
  const shape = shapes.datasetShape(dataset) as { contract: { columns?: { name: string; type: string }[] } };
  return (shape.contract.columns ?? []).map((c) => [c.name, c.type]);
}

type Training = NonNullable<ModelDefinition['training']>;

const taskOf = (t: Training) =>
  t.task === 'regression' || t.algorithm === 'linear'
    ? 'a regression'
    : t.task === 'binary' || t.algorithm === 'logreg'
      ? 'a classifier'
      : 'a model';

/** Regression needs numbers; a binary classifier takes any two values but instants (the trainer counts the classes). */
function labelFits(type: string, t: Training): boolean {
  if (type === 'timestamp') return false;
  return taskOf(t) !== 'a regression' || type === 'double' || type === 'integer';
}
