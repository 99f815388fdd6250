import { deployerV1, type registryV1 } from '@flywheel/contracts';
import { renderSvgChart } from '../../charts';

/** One node of a version's lineage, with the console page about it. */
export interface LineageNode {
  id: string;
  kind: 'dataset' | 'feature view' | 'run' | 'version' | 'deployment';
  /** Lines of its label. */
  label: string[];
  href?: string;
}

export interface LineageGraph {
  nodes: LineageNode[];
  links: Array<[from: string, to: string]>;
}

const enc = encodeURIComponent;

/**
 * A version's lineage as a left-to-right chain: dataset (with the versions it trained on) →
 * feature view (with its revision) → run → version → the deployments serving it. Nodes the
 * lineage does not name (an imported version has no run) are left out and the chain closes over them.
 */
export function lineageGraph(
  modelName: string,
  version: registryV1.ModelVersion,
  lineage: registryV1.ModelVersion['lineage'],
  deployments: readonly deployerV1.Deployment[],
): LineageGraph {
  const chain: LineageNode[] = [];
  if (lineage?.dataset) {
    const range =
      lineage.datasetVersionFrom && lineage.datasetVersionTo
        ? lineage.datasetVersionFrom === lineage.datasetVersionTo
          ? `v${lineage.datasetVersionTo}`
          : `v${lineage.datasetVersionFrom}–v${lineage.datasetVersionTo}`
        : '';
    chain.push({ id: 'dataset', kind: 'dataset', label: ['dataset', lineage.dataset, range], href: `/datasets/${enc(lineage.dataset)}` });
  }
  if (lineage?.featureView) {
    chain.push({
      id: 'feature-view',
      kind: 'feature view',
      label: ['feature view', lineage.featureView, lineage.featureViewRevision ? `r${lineage.featureViewRevision}` : ''],
    });
  }
  const runId = lineage?.runId || version.runId;
  if (runId) chain.push({ id: 'run', kind: 'run', label: ['run', runId.slice(0, 8)], href: `/runs/${enc(runId)}` });
  chain.push({
    id: 'version',
    kind: 'version',
    label: ['version', `${modelName} v${version.version}`, (version.aliases ?? []).join(', ')],
    href: `/models/${enc(modelName)}`,
  });
  const links: Array<[string, string]> = chain.slice(1).map((n, i) => [chain[i].id, n.id]);
  const serving = deployments.filter(
    (d) => d.modelName === modelName && (d.stableVersion === version.version || d.canaryVersion === version.version),
  );
  serving.forEach((d, i) => {
    const role =
      d.canaryVersion === version.version && d.state === deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY ? 'canary' : 'stable';
    const id = `deployment-${i}`;
    chain.push({ id, kind: 'deployment', label: ['deployment', d.name, role], href: `/deployments/${enc(d.name)}` });
    links.push(['version', id]);
  });
  return { nodes: chain, links };
}

const COLOURS: Record<LineageNode['kind'], string> = {
  dataset: '#1e8449',
  'feature view': '#117a65',
  run: '#d68910',
  version: '#2e86c1',
  deployment: '#7d3c98',
};

const STEP = 200;
const NODE = { width: 156, height: 62 };
const ROW = 84;

/**
 * The lineage as an ECharts `graph` on a hidden cartesian grid, so every node sits exactly where it
 * is put (one column per step, deployments stacked in the last column). ECharts draws a link from
 * node centre to node centre, so a link's arrow head would hide under its target's box: each link
 * joins two invisible "port" nodes on the boxes' facing sides instead. ECharts escapes the labels.
 */
export function lineageChart(graph: LineageGraph): string {
  const steps = graph.nodes.filter((n) => n.kind !== 'deployment');
  const deployments = graph.nodes.filter((n) => n.kind === 'deployment');
  const columns = steps.length + (deployments.length ? 1 : 0);
  const rows = Math.max(1, deployments.length);
  const width = columns * STEP;
  const height = rows * ROW + 16;
  const centre = new Map<string, [number, number]>();
  for (const n of steps) centre.set(n.id, [steps.indexOf(n) * STEP + STEP / 2, height / 2]);
  deployments.forEach((n, i) => centre.set(n.id, [steps.length * STEP + STEP / 2, height / 2 + (i - (rows - 1) / 2) * ROW]));

  const boxes = graph.nodes.map((n) => ({
    id: n.id,
    name: n.label.filter(Boolean).join('\n'),
    value: centre.get(n.id)!,
    symbol: 'roundRect',
    symbolSize: [NODE.width, NODE.height],
    itemStyle: { color: COLOURS[n.kind] },
    label: { show: true, color: '#fff', fontSize: 12, lineHeight: 16 },
  }));
  const ports = graph.links.flatMap(([from, to], i) => {
    const [x1, y1] = centre.get(from)!;
    const [x2, y2] = centre.get(to)!;
    return [
      { id: `link-${i}-from`, name: '', value: [x1 + NODE.width / 2, y1 + (y2 - y1) * 0.25], symbolSize: 0, label: { show: false } },
      { id: `link-${i}-to`, name: '', value: [x2 - NODE.width / 2 - 2, y2], symbolSize: 0, label: { show: false } },
    ];
  });
  return renderSvgChart(
    {
      grid: { left: 0, right: 0, top: 0, bottom: 0 },
      xAxis: { type: 'value', min: 0, max: width, show: false },
      yAxis: { type: 'value', min: 0, max: height, show: false, inverse: true },
      series: [
        {
          type: 'graph',
          coordinateSystem: 'cartesian2d',
          edgeSymbol: ['none', 'arrow'],
          edgeSymbolSize: 9,
          lineStyle: { color: '#1c2833', width: 1.5, opacity: 0.9 },
          data: [...boxes, ...ports],
          links: graph.links.map((_, i) => ({ source: `link-${i}-from`, target: `link-${i}-to` })),
        },
      ],
    },
    { width, height },
  );
}
