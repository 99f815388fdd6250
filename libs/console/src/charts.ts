import * as echarts from 'echarts';

export interface ChartSize {
  width: number;
  height: number;
}

/** One ECharts option rendered to an SVG string on the server (no browser, no script in the page). */
export function renderSvgChart(option: echarts.EChartsOption, size: ChartSize): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ animation: false, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

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

export interface FeatureFigure {
  feature: string;
  statistic: number;
  threshold: number;
  drifted: boolean;
}

/** Each feature's drift statistic against its threshold; drifted features in red. */
export function driftChart(features: readonly FeatureFigure[], size: ChartSize = { width: 720, height: 320 }): string {
  return renderSvgChart(
    {
      title: { text: 'Drift statistic by feature (red: drifted)', left: 'center', textStyle: { fontSize: 13 } },
      legend: { bottom: 0 },
      grid: { top: 40, left: 60, right: 30, bottom: 60 },
      xAxis: { type: 'category', data: features.map((f) => f.feature) },
      yAxis: { type: 'value' },
      series: [
        {
          name: 'statistic',
          type: 'bar',
          itemStyle: { color: '#2e86c1' },
          data: features.map((f) => ({ value: f.statistic, itemStyle: { color: f.drifted ? '#c0392b' : '#2e86c1' } })),
        },
        {
          name: 'threshold',
          type: 'scatter',
          symbol: 'rect',
          symbolSize: [40, 3],
          itemStyle: { color: '#1c2833' },
          data: features.map((f) => f.threshold),
        },
      ],
    },
    size,
  );
}
