import { commonV1, durationToMillis, trainerV1 } from '@flywheel/contracts';
import { enumLabel } from '../../format';
import { metricOf } from '../models/models.view';

type SortValue = number | string | undefined;

/** The columns of the runs table, in order: the key `?sort=` names and the value it sorts by. */
export const RUN_COLUMNS = [
  { key: 'id', label: 'run', value: (r: trainerV1.Run): SortValue => r.runId },
  { key: 'model', label: 'model', value: (r: trainerV1.Run): SortValue => r.spec?.modelName || undefined },
  { key: 'status', label: 'status', value: (r: trainerV1.Run): SortValue => runStatusLabel(r.status) },
  { key: 'trigger', label: 'trigger', value: (r: trainerV1.Run): SortValue => enumLabel(trainerV1.RunTrigger, r.trigger, 'RUN_TRIGGER') },
  { key: 'algorithm', label: 'algorithm', value: (r: trainerV1.Run): SortValue => algorithmLabel(r.spec?.algorithm) },
  { key: 'metric', label: 'metric', value: (r: trainerV1.Run): SortValue => primaryMetric(r) },
  { key: 'created', label: 'created', value: (r: trainerV1.Run): SortValue => r.createTime?.getTime() },
  { key: 'duration', label: 'duration', value: (r: trainerV1.Run): SortValue => durationMs(r) },
] as const;

export type RunColumn = (typeof RUN_COLUMNS)[number]['key'];

export interface RunSort {
  column: RunColumn;
  order: 'asc' | 'desc';
}

export const runStatusLabel = (status: trainerV1.RunStatus) => enumLabel(trainerV1.RunStatus, status, 'RUN_STATUS');

export const algorithmLabel = (algorithm: commonV1.Algorithm | undefined) =>
  algorithm ? enumLabel(commonV1.Algorithm, algorithm, 'ALGORITHM') : undefined;

export const durationMs = (run: trainerV1.Run) => (run.duration ? durationToMillis(run.duration) : undefined);

/** The value of the metric the run's spec ranks by (the one that decides promotion). */
export const primaryMetric = (run: trainerV1.Run) => metricOf(run.metrics, run.spec?.metric ?? '');

/** `?sort=<column>&order=asc|desc`; undefined (the service's order, newest first) for no or an unknown column. */
export function sortFromQuery(query: URLSearchParams): RunSort | undefined {
  const column = RUN_COLUMNS.find((c) => c.key === query.get('sort'))?.key;
  if (!column) return undefined;
  return { column, order: query.get('order') === 'desc' ? 'desc' : 'asc' };
}

// A metric the trainer could not compute (NaN) has no place in an order either.
const missing = (v: SortValue): boolean => v === undefined || Number.isNaN(v);

/**
 * Numbers numerically, text by its words; a run without the value comes last whichever the order,
 * so flipping the order shows the other end of the runs that have one.
 */
export function sortRuns(runs: readonly trainerV1.Run[], sort: RunSort | undefined): trainerV1.Run[] {
  if (!sort) return [...runs];
  const value = RUN_COLUMNS.find((c) => c.key === sort.column)!.value;
  const sign = sort.order === 'asc' ? 1 : -1;
  // Array.prototype.sort is stable: runs with equal values keep the service's newest-first order.
  return [...runs].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    if (missing(x) || missing(y)) return Number(missing(x)) - Number(missing(y));
    return (
      sign * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true }))
    );
  });
}
