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
