import { type ChartSize, renderSvgChart } from '../../charts';

const ROWS_COLOR = '#2e86c1';
const QUARANTINE_COLOR = '#c0392b';
const CATEGORY_COLOR = '#1e8449';
const SMALL_LABEL = { fontSize: 9, hideOverlap: true };
const SMALL_GRID = { top: 8, left: 10, right: 8, bottom: 4, containLabel: true };

/** A profile chart sits in a table cell beside its figures, one per column. */
export const PROFILE_CHART_SIZE: ChartSize = { width: 260, height: 140 };

export interface VersionPoint {
  commitTimeMs: number;
  rows: number;
  quarantined: number;
}

/**
 * Rows committed and records quarantined per version, against commit time: a time axis rather
 * than version numbers, so a burst of small commits or a long silence shows as such.
 */
export function versionsChart(points: readonly VersionPoint[], size: ChartSize = { width: 720, height: 260 }): string {
  return renderSvgChart(
    {
      color: [ROWS_COLOR, QUARANTINE_COLOR],
      legend: { bottom: 0, data: ['rows committed', 'quarantined'] },
      grid: { top: 16, left: 16, right: 24, bottom: 36, containLabel: true },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: 'rows committed', type: 'line', data: points.map((p) => [p.commitTimeMs, p.rows]) },
        { name: 'quarantined', type: 'line', data: points.map((p) => [p.commitTimeMs, p.quarantined]) },
      ],
    },
    size,
  );
}

/** One bar per histogram bin, labelled by the bin's left edge. */
export function histogramChart(binLabels: readonly string[], counts: readonly number[], size: ChartSize = PROFILE_CHART_SIZE): string {
  return renderSvgChart(
    {
      grid: SMALL_GRID,
      xAxis: { type: 'category', data: [...binLabels], axisLabel: SMALL_LABEL },
      yAxis: { type: 'value', minInterval: 1, axisLabel: SMALL_LABEL },
      series: [{ type: 'bar', barCategoryGap: '8%', itemStyle: { color: ROWS_COLOR }, data: [...counts] }],
    },
    size,
  );
}

/** Counts of the most frequent values, most frequent on top. */
export function categoriesChart(categories: ReadonlyArray<{ label: string; count: number }>, size: ChartSize = PROFILE_CHART_SIZE): string {
  const topDown = [...categories].reverse();
  return renderSvgChart(
    {
      grid: SMALL_GRID,
      xAxis: { type: 'value', minInterval: 1, axisLabel: SMALL_LABEL },
      yAxis: { type: 'category', data: topDown.map((c) => c.label), axisLabel: { fontSize: 9, interval: 0 } },
      series: [{ type: 'bar', barCategoryGap: '20%', itemStyle: { color: CATEGORY_COLOR }, data: topDown.map((c) => c.count) }],
    },
    size,
  );
}
