import { deployerV1 } from '@flywheel/contracts';
import { type EChartsOption, type LineSeriesOption } from 'echarts';
import { type ChartSize, renderSvgChart } from '../../charts';

export interface VersionFigures {
  label: string;
  requests: number;
  errors: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

/**
 * Three panels side by side, one bar per version in each: requests, errors, and p50/p95 latency,
 * each on its own scale (a handful of errors beside thousands of requests would not show).
 */
export function rolloutChart(versions: readonly VersionFigures[], size: ChartSize = { width: 840, height: 300 }): string {
  const labels = versions.map((v) => v.label);
  const panels = [
    { title: 'requests', left: '4%' },
    { title: 'errors', left: '37%' },
    { title: 'latency (ms)', left: '70%' },
  ];
  return renderSvgChart(
    {
      color: ['#2e86c1', '#c0392b', '#1e8449', '#d68910'],
      title: panels.map((p) => ({ text: p.title, left: p.left, top: 4, textStyle: { fontSize: 13 } })),
      legend: { bottom: 0, data: ['p50', 'p95'] },
      grid: panels.map((p) => ({ left: p.left, width: '26%', top: 40, bottom: 40, containLabel: true })),
      xAxis: panels.map((_, i) => ({ type: 'category' as const, gridIndex: i, data: labels })),
      yAxis: panels.map((_, i) => ({ type: 'value' as const, gridIndex: i, minInterval: i < 2 ? 1 : 0 })),
      series: [
        {
          name: 'requests',
          type: 'bar',
          xAxisIndex: 0,
          yAxisIndex: 0,
          data: versions.map((v) => v.requests),
          label: { show: true, position: 'top' },
        },
        {
          name: 'errors',
          type: 'bar',
          xAxisIndex: 1,
          yAxisIndex: 1,
          data: versions.map((v) => ({ value: v.errors, itemStyle: { color: '#c0392b' } })),
          label: { show: true, position: 'top' },
        },
        {
          name: 'p50',
          type: 'bar',
          xAxisIndex: 2,
          yAxisIndex: 2,
          data: versions.map((v) => v.latencyP50Ms),
          itemStyle: { color: '#1e8449' },
        },
        {
          name: 'p95',
          type: 'bar',
          xAxisIndex: 2,
          yAxisIndex: 2,
          data: versions.map((v) => v.latencyP95Ms),
          itemStyle: { color: '#d68910' },
        },
      ],
    },
    size,
  );
}

/** One colour per version, the same in every chart of the page (in version order, cycled past eight). */
const VERSION_COLOURS = ['#2e86c1', '#d68910', '#1e8449', '#7d3c98', '#c0392b', '#17a589', '#a04000', '#2c3e50'];

/** One sample of a version, its time in epoch milliseconds. */
export interface VersionPoint {
  readonly time: number;
  readonly requests: number;
  readonly errors: number;
  readonly latencyP50Ms?: number;
  readonly latencyP95Ms?: number;
  readonly labelled: number;
  readonly accuracy?: number;
  readonly rmse?: number;
}

/** A version's samples, oldest first, with the name and colour the charts give it. */
export interface VersionHistory {
  readonly version: number;
  /** `v4 (canary)`: the role of its newest sample (a promoted canary is `stable` by then). */
  readonly label: string;
  readonly colour: string;
  readonly points: readonly VersionPoint[];
}

/** A protobuf Timestamp as the gRPC client hands it over, in epoch milliseconds; NaN when unset. */
function millisOf(value: Date | string | number | { seconds: number; nanos?: number } | null | undefined): number {
  if (value === null || value === undefined || value === '') return Number.NaN;
  if (typeof value === 'object' && !(value instanceof Date)) return value.seconds * 1000 + (value.nanos ?? 0) / 1e6;
  return new Date(value).getTime();
}

/** Unset optional doubles may arrive as undefined or null. */
const present = (value: number | null | undefined): number | undefined => (value === null || value === undefined ? undefined : value);

/** The deployer's history (all versions, oldest first) split by version, in version order. */
export function versionHistories(history: readonly deployerV1.RolloutSample[]): VersionHistory[] {
  const byVersion = new Map<number, { role: deployerV1.VersionRole; points: VersionPoint[] }>();
  for (const sample of history) {
    const time = millisOf(sample.time);
    if (Number.isNaN(time)) continue;
    let entry = byVersion.get(sample.version);
    if (!entry) byVersion.set(sample.version, (entry = { role: sample.role, points: [] }));
    entry.role = sample.role;
    entry.points.push({
      time,
      requests: Number(sample.requests),
      errors: Number(sample.errors),
      latencyP50Ms: present(sample.latencyP50Ms),
      latencyP95Ms: present(sample.latencyP95Ms),
      labelled: Number(sample.labelled),
      accuracy: present(sample.accuracy),
      rmse: present(sample.rmse),
    });
  }
  return [...byVersion]
    .sort(([a], [b]) => a - b)
    .map(([version, { role, points }], i) => ({
      version,
      label: `v${version} (${role === deployerV1.VersionRole.VERSION_ROLE_CANARY ? 'canary' : 'stable'})`,
      colour: VERSION_COLOURS[i % VERSION_COLOURS.length],
      points: points.sort((a, b) => a.time - b.time),
    }));
}

type Point = [number, number | null];

function line(name: string, colour: string, data: Point[], options: Partial<LineSeriesOption> = {}): LineSeriesOption {
  return {
    name,
    type: 'line',
    data,
    color: colour,
    lineStyle: { width: 1.5, ...(options.lineStyle as object) },
    showSymbol: data.length <= 60,
    symbolSize: 4,
    ...options,
  };
}

/** Rows the legend takes below a chart of `names` entries (about six a row). */
const legendRows = (names: number): number => Math.max(1, Math.ceil(names / 6));

/** A chart over time with the legend below it; `option` sets the title, axes and series (and may set the grid). */
function timeChart(legend: string[], option: EChartsOption, size: ChartSize): string {
  const rows = legendRows(legend.length);
  return renderSvgChart(
    {
      legend: { bottom: 0, data: legend },
      xAxis: { type: 'time' },
      grid: { top: 40, left: 60, right: 40, bottom: 36 + rows * 22 },
      ...option,
    },
    { width: size.width, height: size.height + rows * 22 },
  );
}

const titled = (text: string, top?: number | string) => ({
  text,
  left: 'center',
  ...(top === undefined ? {} : { top }),
  textStyle: { fontSize: 13 },
});

/**
 * p50 (solid) and p95 (dashed) latency of each interval, a line per version and percentile in the
 * version's colour; an interval a version answered nothing in is a gap.
 */
export function latencyHistoryChart(
  deployment: string,
  versions: readonly VersionHistory[],
  size: ChartSize = { width: 840, height: 300 },
): string {
  const series = versions.flatMap((v) => [
    line(
      `${v.label} p50`,
      v.colour,
      v.points.map((p): Point => [p.time, p.latencyP50Ms ?? null]),
    ),
    line(
      `${v.label} p95`,
      v.colour,
      v.points.map((p): Point => [p.time, p.latencyP95Ms ?? null]),
      { lineStyle: { width: 1.5, type: 'dashed' } },
    ),
  ]);
  return timeChart(
    series.map((s) => s.name as string),
    { title: titled(`${deployment}: latency per interval (ms)`), yAxis: { type: 'value', min: 0 }, series },
    size,
  );
}

/**
 * Requests (top) and errors (bottom) in each interval, a line per version in each panel, each
 * panel on its own scale: a handful of errors beside thousands of requests would not show.
 */
export function trafficHistoryChart(
  deployment: string,
  versions: readonly VersionHistory[],
  size: ChartSize = { width: 840, height: 380 },
): string {
  const series = versions.flatMap((v) => [
    line(
      v.label,
      v.colour,
      v.points.map((p): Point => [p.time, p.requests]),
      { xAxisIndex: 0, yAxisIndex: 0 },
    ),
    line(
      v.label,
      v.colour,
      v.points.map((p): Point => [p.time, p.errors]),
      { xAxisIndex: 1, yAxisIndex: 1 },
    ),
  ]);
  return timeChart(
    versions.map((v) => v.label),
    {
      title: [titled(`${deployment}: requests per interval`), titled('errors per interval', '52%')],
      grid: [
        { top: 40, left: 60, right: 40, height: '30%' },
        { top: '60%', left: 60, right: 40, bottom: 36 + legendRows(versions.length) * 22 },
      ],
      xAxis: [
        { type: 'time', gridIndex: 0 },
        { type: 'time', gridIndex: 1 },
      ],
      yAxis: [
        { type: 'value', gridIndex: 0, minInterval: 1 },
        { type: 'value', gridIndex: 1, minInterval: 1 },
      ],
      series,
    },
    size,
  );
}

/**
 * Each version's accuracy (RMSE for regression) over the labelled predictions of its phase, as
 * sampled; undefined when no sample is labelled.
 */
export function qualityHistoryChart(
  deployment: string,
  versions: readonly VersionHistory[],
  size: ChartSize = { width: 840, height: 300 },
): string | undefined {
  const regression = versions.some((v) => v.points.some((p) => p.rmse !== undefined));
  const valueOf = (p: VersionPoint): number | undefined => (p.labelled > 0 ? (regression ? p.rmse : p.accuracy) : undefined);
  const labelled = versions.filter((v) => v.points.some((p) => valueOf(p) !== undefined));
  if (labelled.length === 0) return undefined;
  const series = labelled.map((v) =>
    line(
      v.label,
      v.colour,
      v.points.map((p): Point => [p.time, valueOf(p) ?? null]),
    ),
  );
  return timeChart(
    labelled.map((v) => v.label),
    {
      title: titled(`${deployment}: ${regression ? 'RMSE' : 'accuracy'} of the labelled predictions (so far in each phase)`),
      yAxis: regression ? { type: 'value', min: 0 } : { type: 'value', scale: true, max: 1 },
      series,
    },
    size,
  );
}
