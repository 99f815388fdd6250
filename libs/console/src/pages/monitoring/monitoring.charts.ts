import { type commonV1, monitorV1 } from '@flywheel/contracts';
import { type EChartsOption, type LineSeriesOption } from 'echarts';
import { type ChartSize, renderSvgChart } from '../../charts';
import { formatNumber } from '../../format';

/** One colour per feature, the same in every chart of the page (cycled past twelve features). */
const FEATURE_COLOURS = [
  '#2e86c1',
  '#c0392b',
  '#1e8449',
  '#d68910',
  '#7d3c98',
  '#17a589',
  '#a04000',
  '#2c3e50',
  '#d4ac0d',
  '#c2185b',
  '#5d6d7e',
  '#117864',
];
const NEUTRAL = '#1c2833';

export const featureColour = (index: number): string => FEATURE_COLOURS[index % FEATURE_COLOURS.length];

/** Tests whose verdict compares the p-value with the threshold; the others compare the statistic. */
const P_VALUE_TESTS: ReadonlySet<monitorV1.DriftTest> = new Set([
  monitorV1.DriftTest.DRIFT_TEST_KS,
  monitorV1.DriftTest.DRIFT_TEST_CHI_SQUARE,
  monitorV1.DriftTest.DRIFT_TEST_Z,
]);

/** p-values are drawn on a log axis, which has no zero: smaller ones are drawn at this floor. */
export const P_VALUE_FLOOR = 1e-12;

/** A protobuf Timestamp as the gRPC client hands it over, in epoch milliseconds; NaN when unset. */
export function timeOf(value: Date | string | number | { seconds: number; nanos?: number } | null | undefined): number {
  if (value === null || value === undefined || value === '') return Number.NaN;
  if (typeof value === 'object' && !(value instanceof Date)) return value.seconds * 1000 + (value.nanos ?? 0) / 1e6;
  return new Date(value).getTime();
}

/** One feature over the listed reports, oldest point first. */
export interface FeatureHistory {
  readonly feature: string;
  readonly colour: string;
  readonly points: ReadonlyArray<{ time: number; statistic: number; pValue: number | undefined }>;
  /** The latest report's threshold and what it is compared with (the test's verdict rule). */
  readonly threshold: number;
  readonly judgedOn: 'p-value' | 'statistic';
}

/**
 * Each feature's statistic and p-value across reports (newest first, as ListDriftReports gives
 * them), in the feature order of the newest report; a feature only older reports tested comes
 * after. `colourOf` gives the feature's colour, so it is the same in every chart of the page.
 */
export function featureHistories(reports: readonly monitorV1.DriftReport[], colourOf: (feature: string) => string): FeatureHistory[] {
  const byFeature = new Map<string, { points: FeatureHistory['points'][number][]; latest: monitorV1.FeatureDrift }>();
  for (const report of reports) {
    const time = timeOf(report.createTime);
    if (Number.isNaN(time)) continue;
    for (const f of report.features ?? []) {
      let entry = byFeature.get(f.feature);
      if (!entry) byFeature.set(f.feature, (entry = { points: [], latest: f }));
      entry.points.push({ time, statistic: f.statistic, pValue: f.pValue ?? undefined });
    }
  }
  return [...byFeature].map(([feature, { points, latest }]) => ({
    feature,
    colour: colourOf(feature),
    points: points.sort((a, b) => a.time - b.time),
    threshold: latest.threshold,
    judgedOn: P_VALUE_TESTS.has(latest.test) ? 'p-value' : 'statistic',
  }));
}

/** Rows the legend takes below a chart of `series` lines (about six names a row). */
const legendRows = (series: number): number => Math.max(1, Math.ceil(series / 6));

/**
 * A line per feature over time. Thresholds differ by test (a p-value of 0.05 for KS, a distance of
 * 0.1, a PSI of 0.2), and a threshold belongs on the chart of the quantity it judges: the
 * statistic chart draws the thresholds of distance tests, the p-value chart those of p-value tests.
 * When all the features drawn with one share a threshold it is one dark dashed line; when they
 * differ, each feature's threshold is a dashed line in the feature's colour. (A normalised
 * statistic/threshold chart would need one line only, but would hide the statistic's real values,
 * which are what the report table and the alerts speak in.)
 */
function historyChart(
  title: string,
  lines: ReadonlyArray<{ history: FeatureHistory; data: Array<[number, number]>; threshold: number | undefined }>,
  yAxis: EChartsOption['yAxis'],
  size: ChartSize,
): string {
  const thresholds = new Set(lines.flatMap((l) => (l.threshold === undefined ? [] : [l.threshold])));
  const shared = thresholds.size === 1;
  let sharedDrawn = false;
  const series: LineSeriesOption[] = lines.map(({ history, data, threshold }) => {
    let markLine: LineSeriesOption['markLine'];
    if (threshold !== undefined && (!shared || !sharedDrawn)) {
      sharedDrawn = true;
      const colour = shared ? NEUTRAL : history.colour;
      markLine = {
        silent: true,
        symbol: 'none',
        lineStyle: { type: 'dashed', color: colour, width: 1.5 },
        label: {
          position: 'insideEndTop',
          color: colour,
          formatter: shared ? `threshold ${formatNumber(threshold)}` : `${history.feature} ${formatNumber(threshold)}`,
        },
        data: [{ yAxis: threshold }],
      };
    }
    return {
      name: history.feature,
      type: 'line',
      data,
      color: history.colour,
      lineStyle: { width: 1.5 },
      showSymbol: data.length <= 60,
      symbolSize: 4,
      markLine,
    };
  });
  const rows = legendRows(lines.length);
  return renderSvgChart(
    {
      title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
      legend: { bottom: 0, data: lines.map((l) => l.history.feature) },
      grid: { top: 40, left: 60, right: 40, bottom: 36 + rows * 22 },
      xAxis: { type: 'time' },
      yAxis,
      series,
    },
    { width: size.width, height: size.height + rows * 22 },
  );
}

const thresholdsOf = (histories: readonly FeatureHistory[], judgedOn: FeatureHistory['judgedOn']): number[] =>
  histories.filter((h) => h.judgedOn === judgedOn).map((h) => h.threshold);

/** Each feature's drift statistic over time, with the thresholds of the tests that judge the statistic. */
export function statisticHistoryChart(histories: readonly FeatureHistory[], size: ChartSize = { width: 840, height: 320 }): string {
  return historyChart(
    'Drift statistic over time',
    histories.map((history) => ({
      history,
      data: history.points.map((p): [number, number] => [p.time, p.statistic]),
      threshold: history.judgedOn === 'statistic' ? history.threshold : undefined,
    })),
    // From 0, and up to the highest threshold drawn, so every threshold line is on the chart.
    { type: 'value', max: (extent: { max: number }) => Math.max(extent.max, ...thresholdsOf(histories, 'statistic')) },
    size,
  );
}

/**
 * The p-values over time of the features whose test gives one, on a log axis (a drifted p-value
 * is many orders of magnitude below 0.05), with the thresholds of the tests that judge them;
 * undefined when no feature has a p-value.
 */
export function pValueHistoryChart(
  histories: readonly FeatureHistory[],
  size: ChartSize = { width: 840, height: 320 },
): string | undefined {
  const lines = histories
    .map((history) => ({
      history,
      data: history.points.flatMap((p): Array<[number, number]> =>
        p.pValue === undefined ? [] : [[p.time, Math.max(p.pValue, P_VALUE_FLOOR)]],
      ),
      threshold: history.judgedOn === 'p-value' ? history.threshold : undefined,
    }))
    .filter((line) => line.data.length > 0);
  if (lines.length === 0) return undefined;
  const thresholds = thresholdsOf(histories, 'p-value');
  return historyChart(
    'p-value over time (log scale)',
    lines,
    {
      type: 'log',
      // Down to a decade below the lowest p-value or threshold, so the threshold line is on the chart.
      min: (extent: { min: number }) => Math.max(P_VALUE_FLOOR, Math.min(extent.min, ...thresholds) / 10),
      max: 1,
      axisLabel: { formatter: (value: number) => (value >= 0.001 ? String(value) : value.toExponential(0)) },
    },
    size,
  );
}

/** A profile's histogram of one column: numeric bins, or the most frequent categories and the rest. */
export interface Histogram {
  readonly labels: string[];
  readonly counts: number[];
}

/** The most categories a small chart shows; the rest are summed into "other". */
const MAX_CATEGORIES = 12;

/** A column's histogram, or undefined when its profile has none (no values, or no summary). */
export function histogramOf(column: commonV1.ColumnProfile | undefined): Histogram | undefined {
  if (!column) return undefined;
  const numeric = column.numeric;
  if (numeric && (numeric.histogramCounts?.length ?? 0) > 0) {
    const edges = numeric.histogramEdges ?? [];
    const counts = numeric.histogramCounts.map(Number);
    return { labels: counts.map((_, i) => `${formatNumber(edges[i], 3)}–${formatNumber(edges[i + 1], 3)}`), counts };
  }
  const categorical = column.categorical;
  if (categorical && ((categorical.topValues?.length ?? 0) > 0 || Number(categorical.otherCount) > 0)) {
    const top = (categorical.topValues ?? []).slice(0, MAX_CATEGORIES);
    const rest = (categorical.topValues ?? []).slice(MAX_CATEGORIES).reduce((sum, v) => sum + Number(v.count), 0);
    const other = Number(categorical.otherCount ?? 0) + rest;
    return {
      labels: [...top.map((v) => v.value), ...(other > 0 ? ['(other)'] : [])],
      counts: [...top.map((v) => Number(v.count)), ...(other > 0 ? [other] : [])],
    };
  }
  return undefined;
}

/** A small bar chart of one histogram (reference or current), in the feature's colour. */
export function histogramChart(title: string, histogram: Histogram, colour: string, size: ChartSize = { width: 300, height: 160 }): string {
  return renderSvgChart(
    {
      title: { text: title, left: 'center', top: 2, textStyle: { fontSize: 11, fontWeight: 'normal' } },
      grid: { top: 26, left: 8, right: 8, bottom: 4, containLabel: true },
      xAxis: { type: 'category', data: histogram.labels, axisLabel: { fontSize: 8, hideOverlap: true }, axisTick: { show: false } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 8 } },
      series: [{ type: 'bar', name: title, data: histogram.counts, itemStyle: { color: colour }, barCategoryGap: '10%' }],
    },
    size,
  );
}
