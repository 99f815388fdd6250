import { type registryV1 } from '@flywheel/contracts';
import { type ConsoleBackend } from '../../backend';
import { championAlias } from '../loop/loop-timeline';
import { ok, PAGE, type PageRoute, readPart } from '../page';
import { lineageChart, lineageGraph } from './lineage-chart';
import { type LineageSection, modelIndexView, modelView } from './models.view';

/**
 * The lineage of the champion (the `production` alias, else the first alias, else the newest
 * version): the registry's GetLineage, and the deployments serving that version. Optional: when
 * either call fails the page says why in place of (or under) the graph.
 */
async function lineageSection(
  backend: ConsoleBackend,
  token: string,
  model: registryV1.Model,
  versions: readonly registryV1.ModelVersion[],
): Promise<LineageSection | undefined> {
  const champion = championAlias(model.aliases);
  const number = champion?.[1] || model.latestVersion || versions[0]?.version;
  if (!number) return undefined;
  const which = champion ? `${champion[0]} (v${number})` : `the newest version (v${number})`;
  const [lineage, deployments] = await Promise.all([
    readPart(() => backend.registry(token).getLineage({ modelName: model.name, version: number })),
    readPart(() => backend.deployer(token).listDeployments({ page: PAGE })),
  ]);
  if ('note' in lineage) return { which, notes: [`registry GetLineage: ${lineage.note}`] };
  const version = lineage.value.version ?? versions.find((v) => v.version === number);
  if (!version) return { which, notes: [`the registry answered no version ${number}`] };
  const graph = lineageGraph(
    model.name,
    version,
    lineage.value.lineage ?? version.lineage,
    'value' in deployments ? deployments.value.deployments : [],
  );
  return {
    which,
    graph,
    svg: lineageChart(graph),
    notes: 'note' in deployments ? [`deployer ListDeployments: ${deployments.note}`] : [],
  };
}

export const MODEL_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/models$/,
    title: 'Models',
    render: async ({ backend, token, viewer }) =>
      ok(modelIndexView({ title: 'Models', path: '/models' }, (await backend.registry(token).listModels({ page: PAGE })).models, viewer)),
  },
  {
    pattern: /^\/models\/([^/]+)$/,
    title: 'Model',
    async render({ backend, token, viewer }, [name]) {
      const registry = backend.registry(token);
      const [found, versions, audit] = await Promise.all([
        registry.getModel({ name }),
        registry.listModelVersions({ modelName: name, page: PAGE }),
        registry.listAuditLog({ modelName: name, action: 0, page: PAGE }),
      ]);
      const model = found.model ?? { name, description: '', tags: {}, ownerTeam: '', createTime: undefined, aliases: {}, latestVersion: 0 };
      const lineage = await lineageSection(backend, token, model, versions.versions);
      return ok(modelView(model, versions.versions, audit.entries, viewer, lineage));
    },
  },
];
