import { type ChartSize, renderSvgChart } from '../../charts';

/** A value on an axis: numbers get a value axis, anything else (text, booleans) a category axis. */
export type AxisValue = number | string | undefined;

/** One polyline of the chart: a run or a trial, its value on each axis in order. */
export interface ParallelLine {
  values: readonly AxisValue[];
}

const isNumeric = (values: readonly AxisValue[]) => values.every((v) => v === undefined || typeof v === 'number');

interface Extent {
  min: number;
  max: number;
}

/** A tenth of the range beyond each end, so a line at the best or worst value does not run along the axis' end. */
const margin = ({ min, max }: Extent) => (max - min) / 10 || Math.abs(min) / 10 || 1;

function parallelAxis(name: string, index: number, values: readonly AxisValue[], numeric: boolean) {
  if (numeric)
    return {
      dim: index,
      name,
      type: 'value' as const,
      min: (e: Extent) => Number((e.min - margin(e)).toPrecision(3)),
      max: (e: Extent) => Number((e.max + margin(e)).toPrecision(3)),
      // The margin's ends are odd numbers (0.109); the ticks inside them are round.
      axisLabel: { showMinLabel: false, showMaxLabel: false },
    };
  const categories = [...new Set(values.filter((v) => v !== undefined).map(String))].sort();
  return { dim: index, name, type: 'category' as const, data: categories };
}

/**
 * Parallel coordinates: one vertical axis per name, one line per run. Lines are coloured by the
 * axis `colourBy` (the metric) so the good region of a search stands out without a legend.
 */
export function parallelChart(
  axes: readonly string[],
  lines: readonly ParallelLine[],
  colourBy: number = axes.length - 1,
  size: ChartSize = { width: Math.max(480, 150 * axes.length), height: 320 },
): string {
  const columns = axes.map((_, i) => lines.map((line) => line.values[i]));
  const numeric = columns.map(isNumeric);
  // A category axis places its values by their text, so a number on one is written as text too.
  const point = (v: AxisValue, i: number) => (v === undefined ? null : numeric[i] ? v : String(v));
  const colourValues = columns[colourBy]?.filter((v): v is number => typeof v === 'number') ?? [];
  return renderSvgChart(
    {
      parallel: { left: 60, right: 80, top: 50, bottom: 30 },
      parallelAxis: axes.map((name, i) => parallelAxis(name, i, columns[i], numeric[i])),
      ...(colourValues.length > 1 && {
        visualMap: {
          show: false,
          dimension: colourBy,
          min: Math.min(...colourValues),
          max: Math.max(...colourValues),
          inRange: { color: ['#85c1e9', '#1b4f72'] },
        },
      }),
      series: [
        {
          type: 'parallel',
          lineStyle: { width: 2, opacity: 0.8, color: '#2e86c1' },
          data: lines.map((line) => axes.map((_, i) => point(line.values[i], i))),
        },
      ],
    },
    size,
  );
}
