import { status as GrpcStatus } from '@grpc/grpc-js';
import { ok, PAGE, type PageContext, type PageRoute, type Part, readPart } from '../page';
import { buildTimeline, type LoopRecords, resolveSource, type Stage, summariseStages } from './loop-timeline';
import { modelIndexView } from '../models/models.view';
import { loopView } from './loop.view';

/**
 * Reads every stage of a model's loop, each service on its own: a service that refuses or fails
 * leaves a note in its stage's box and the others still render. Only a model the registry does
 * not know (404) or a token no longer accepted (signed out) fails the page.
 */
async function readLoop({ backend, token }: PageContext, modelName: string) {
  const notes: Partial<Record<Stage, string[]>> = {};
  const take = <T>(stage: Stage, call: string, part: Part<T>): T | undefined => {
    if ('value' in part) return part.value;
    (notes[stage] ??= []).push(`${call}: ${part.note}`);
    return undefined;
  };

  const registry = () => backend.registry(token);
  const trainer = () => backend.trainer(token);
  const monitor = () => backend.monitor(token);
  const [model, versions, audit, runs, decisions, deployments, changes, health, alerts, reports] = await Promise.all([
    // A model the registry does not know is the page's NOT_FOUND; any other failure a note.
    readPart(() => registry().getModel({ name: modelName }), [GrpcStatus.NOT_FOUND]),
    readPart(() => registry().listModelVersions({ modelName, page: PAGE })),
    readPart(() => registry().listAuditLog({ modelName, action: 0, page: PAGE })),
    readPart(() => trainer().listRuns({ modelName, status: 0, page: PAGE, parentRunId: '' })),
    readPart(() => trainer().listRetrainingDecisions({ modelName, page: PAGE })),
    readPart(() => backend.deployer(token).listDeployments({ page: PAGE })),
    // The newest 200 changes of the model's deployments, newest first.
    readPart(() => backend.deployer(token).listDeploymentChanges({ deployment: '', modelName, page: PAGE })),
    readPart(() => monitor().getModelHealth({ modelName })),
    readPart(() => monitor().listAlerts({ modelName, kind: 0, openOnly: false, page: PAGE })),
    readPart(() => monitor().listDriftReports({ modelName, createTimeRange: undefined, page: PAGE })),
  ]);

  const records: LoopRecords = {
    modelName,
    model: take('registry', 'registry GetModel', model)?.model,
    modelVersions: take('registry', 'registry ListModelVersions', versions)?.versions ?? [],
    audit: take('registry', 'registry ListAuditLog', audit)?.entries ?? [],
    runs: take('training', 'trainer ListRuns', runs)?.runs ?? [],
    decisions: take('training', 'trainer ListRetrainingDecisions', decisions)?.decisions ?? [],
    deployments: (take('deployment', 'deployer ListDeployments', deployments)?.deployments ?? []).filter((d) => d.modelName === modelName),
    deploymentChanges: take('deployment', 'deployer ListDeploymentChanges', changes)?.changes ?? [],
    health: take('monitor', 'monitor GetModelHealth', health),
    alerts: take('monitor', 'monitor ListAlerts', alerts)?.alerts ?? [],
    datasetVersions: [],
    reports: take('monitor', 'monitor ListDriftReports', reports)?.reports ?? [],
  };
  const source = resolveSource(records.modelVersions, records.runs, records.model?.aliases);

  // The feature view: its revision, and the dataset when no lineage names it.
  if (source.featureView) {
    const view = await readPart(() => backend.featureStore(token).getFeatureView({ name: source.featureView!, revision: 0 }));
    records.featureView = take('features', 'feature-store GetFeatureView', view)?.featureView;
  }

  records.dataset = source.dataset ?? (records.featureView?.dataset || undefined);
  if (records.dataset) {
    const dataset = records.dataset;
    const ingestion = () => backend.ingestion(token);
    const [info, listed] = await Promise.all([
      readPart(() => ingestion().getDataset({ name: dataset })),
      readPart(() => ingestion().listVersions({ dataset, page: PAGE })),
    ]);
    records.datasetInfo = take('data in', 'ingestion GetDataset', info)?.dataset;
    records.datasetVersions = take('data in', 'ingestion ListVersions', listed)?.versions ?? [];
  }

  return { records, source, notes };
}

export const LOOP_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/loop$/,
    title: 'Loop',
    render: async ({ backend, token, viewer }) =>
      ok(
        modelIndexView(
          {
            title: 'Loop',
            path: '/loop',
            intro: "Each model's closed loop: data in, features, training, registry, deployment and monitoring, and what caused what.",
          },
          (await backend.registry(token).listModels({ page: PAGE })).models,
          viewer,
        ),
      ),
  },
  {
    pattern: /^\/loop\/([^/]+)$/,
    title: 'Loop',
    async render(context, [modelName]) {
      const { records, source, notes } = await readLoop(context, modelName);
      return ok(loopView(modelName, summariseStages(records, source, notes), buildTimeline(records), source, context.viewer));
    },
  },
];
