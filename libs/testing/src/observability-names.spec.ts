import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FLYWHEEL_METRICS, type MetricDefinition, PlatformMetrics } from '@flywheel/platform';
import { parse } from 'yaml';

const root = resolve(__dirname, '../../..');
const GRAFANA = join(root, 'deploy/grafana');
const RULES = join(root, 'deploy/prometheus/flywheel-alerts.yaml');

/** Labels Prometheus itself attaches to every scraped series, and a histogram's bucket label. */
const TARGET_LABELS = ['job', 'instance'];
const HISTOGRAM_SUFFIXES = ['_bucket', '_count', '_sum'];

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: { type?: string; uid?: string };
}
interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

const definitions = new Map<string, MetricDefinition>(Object.values(FLYWHEEL_METRICS).map((d) => [d.name, d]));

/** The catalogued metric a series name belongs to (a histogram's _bucket, _count and _sum are its own). */
function definitionOf(series: string): MetricDefinition | undefined {
  const exact = definitions.get(series);
  if (exact) return exact;
  const suffix = HISTOGRAM_SUFFIXES.find((s) => series.endsWith(s));
  const histogram = suffix ? definitions.get(series.slice(0, -suffix.length)) : undefined;
  return histogram?.type === 'histogram' ? histogram : undefined;
}

/** Every `flywheel_*` series an expression names, with the label names of its selector's matchers. */
function selectors(expr: string): Array<{ series: string; labels: string[] }> {
  const found: Array<{ series: string; labels: string[] }> = [];
  for (const match of expr.matchAll(/\b(flywheel_[a-z0-9_]+)\s*(\{([^}]*)\})?/g)) {
    const labels = [...(match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]!);
    found.push({ series: match[1]!, labels });
  }
  return found;
}

/** Label names an expression aggregates by or matches on: `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`. */
function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

/**
 * Checks one PromQL expression against the catalogue: every series it names is registered by a
 * service, every matcher names a label of that metric, and every grouping label belongs to one of
 * the expression's metrics (or is a target label Prometheus adds).
 */
function problemsOf(where: string, expr: string): string[] {
  const problems: string[] = [];
  const named = selectors(expr);
  if (named.length === 0) problems.push(`${where}: names no flywheel_ metric: ${expr}`);
  const labelsInScope = new Set(TARGET_LABELS);
  for (const { series, labels } of named) {
    const definition = definitionOf(series);
    if (!definition) {
      problems.push(`${where}: ${series} is registered by no service (not in FLYWHEEL_METRICS)`);
      continue;
    }
    const known = new Set([...definition.labelNames, ...TARGET_LABELS, ...(series.endsWith('_bucket') ? ['le'] : [])]);
    for (const label of known) labelsInScope.add(label);
    for (const label of labels) if (!known.has(label)) problems.push(`${where}: ${series} has no label "${label}"`);
  }
  for (const label of groupingLabels(expr))
    if (!labelsInScope.has(label)) problems.push(`${where}: groups by "${label}", which none of its metrics has`);
  return problems;
}

/** Every TypeScript source of the libraries and services, tests excluded. */
function sources(dir: string, out: Array<{ path: string; text: string }> = []): Array<{ path: string; text: string }> {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'generated' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (entry.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(entry))
      out.push({ path, text: readFileSync(path, 'utf8') });
  }
  return out;
}

const dashboards = readdirSync(GRAFANA)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard }));
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap(
  (g) => g.rules,
);

function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

function variableQuery(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
}

describe('metric catalogue (FLYWHEEL_METRICS)', () => {
  it('registers every definition in a Prometheus registry, under its own name and type', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    for (const definition of Object.values(FLYWHEEL_METRICS)) {
      // The platform's own (its gRPC calls) are registered already, as series metrics.
      if (metrics.registry.getSingleMetric(definition.name)) continue;
      if (definition.type === 'counter') metrics.counterOf(definition);
      else if (definition.type === 'gauge') metrics.gaugeOf(definition);
      else metrics.histogramOf(definition);
    }
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, m.type]);
    expect(registered.sort()).toEqual(
      Object.values(FLYWHEEL_METRICS)
        .map((d) => [d.name, d.type])
        .sort(),
    );
    for (const definition of Object.values(FLYWHEEL_METRICS)) expect(definition.name).toMatch(/^flywheel_[a-z0-9_]+$/);
  });

  it('has each definition registered by the code of some library or service', () => {
    const code = sources(join(root, 'libs'))
      .concat(sources(join(root, 'services')))
      .filter((s) => !s.path.endsWith('metric-catalog.ts'));
    const unused = Object.keys(FLYWHEEL_METRICS).filter((key) => !code.some((s) => s.text.includes(`FLYWHEEL_METRICS.${key}`)));
    expect(unused).toEqual([]);
  });
});

describe('Grafana dashboards (deploy/grafana)', () => {
  it('are there: serving, and data and drift', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual(['flywheel-data-and-drift.json', 'flywheel-serving.json']);
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s is well formed', (_file, dashboard) => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toMatch(/\S/);
    const variables = dashboard.templating?.list ?? [];
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const variable of variables.filter((v) => v.type === 'query')) {
      expect(variable.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(variableQuery(variable)).toMatch(/^label_values\(.+\)$/);
    }
    const panels = panelsOf(dashboard);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const graphs = panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(3);
    for (const panel of graphs) {
      expect({ title: panel.title, datasource: panel.datasource }).toEqual({
        title: expect.stringMatching(/\S/),
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
      expect(panel.gridPos).toEqual({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) });
      expect(panel.gridPos!.x + panel.gridPos!.w).toBeLessThanOrEqual(24);
      expect(panel.targets?.length).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const target of panel.targets!) {
        expect(target.expr).toMatch(/\S/);
        expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    }
    // Every template variable an expression uses is defined.
    const defined = new Set([...variables.map((v) => v.name), '__rate_interval', '__range', '__interval']);
    for (const target of graphs.flatMap((p) => p.targets!))
      for (const [, name] of target.expr!.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g))
        expect({ expr: target.expr, name, defined: defined.has(name!) }).toMatchObject({ defined: true });
  });

  it('filters the serving dashboard by deployment and model, the drift dashboard by model and dataset', () => {
    const names = (file: string) => dashboards.find((d) => d.file === file)!.dashboard.templating!.list!.map((v) => v.name);
    expect(names('flywheel-serving.json')).toEqual(expect.arrayContaining(['datasource', 'deployment', 'model']));
    expect(names('flywheel-data-and-drift.json')).toEqual(expect.arrayContaining(['datasource', 'model', 'dataset']));
  });

  it('query only metrics the services register, by labels those metrics have', () => {
    const problems = dashboards.flatMap(({ file, dashboard }) => [
      ...panelsOf(dashboard)
        .flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${file} "${p.title}" ${t.refId}`, expr: t.expr ?? '' })))
        .flatMap(({ where, expr }) => problemsOf(where, expr)),
      ...(dashboard.templating?.list ?? [])
        .filter((v) => v.type === 'query')
        .flatMap((v) => problemsOf(`${file} variable ${v.name}`, variableQuery(v))),
    ]);
    expect(problems).toEqual([]);
  });
});

describe('Prometheus alert rules (deploy/prometheus/flywheel-alerts.yaml)', () => {
  it('alert on drift, degraded live accuracy, canary rollback, quarantine spikes, dead letters and a stuck outbox', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'FlywheelDriftDetected',
        'FlywheelLiveAccuracyDegraded',
        'FlywheelCanaryRolledBack',
        'FlywheelQuarantineSpike',
        'FlywheelDeadLetterGrowth',
        'FlywheelOutboxStuck',
      ]),
    );
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('name only metrics the services register, by labels those metrics have', () => {
    expect(rules.flatMap((rule) => problemsOf(rule.alert, rule.expr))).toEqual([]);
  });
});

describe('the expression checks themselves', () => {
  it('catch an unknown metric, a label the metric lacks and a grouping by a foreign label', () => {
    expect(problemsOf('t', 'rate(flywheel_predictions_total{deployment="a"}[5m])')).toEqual([]);
    expect(problemsOf('t', 'histogram_quantile(0.9, sum by (le, version) (rate(flywheel_prediction_latency_seconds_bucket[5m])))')).toEqual(
      [],
    );
    expect(problemsOf('t', 'flywheel_predictions_totl')).toEqual([
      't: flywheel_predictions_totl is registered by no service (not in FLYWHEEL_METRICS)',
    ]);
    expect(problemsOf('t', 'flywheel_drift_share{dataset="x"}')).toEqual(['t: flywheel_drift_share has no label "dataset"']);
    expect(problemsOf('t', 'sum by (feature) (flywheel_drift_share)')).toEqual(['t: groups by "feature", which none of its metrics has']);
    // _bucket belongs to histograms only.
    expect(problemsOf('t', 'flywheel_drift_share_bucket')).toHaveLength(1);
  });
});
