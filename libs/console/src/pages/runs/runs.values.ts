import { type commonV1, trainerV1 } from '@flywheel/contracts';
import { formatTime } from '../../format';
import { type AxisValue } from './runs.charts';

/** CompareRuns takes 2 to 20 runs (trainer.proto). */
export const COMPARE_LIMITS = { min: 2, max: 20 } as const;

/**
 * The metrics trainer.proto names for which smaller is better. The trainer's own table lives in
 * the service, which a library may not import; any other metric counts as larger-is-better, as
 * the trainer counts it.
 */
const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'rmse', 'mae']);

export const lowerIsBetter = (metric: string) => LOWER_IS_BETTER.has(metric) || LOWER_IS_BETTER.has(snakeCase(metric));

/** A metric's name as trainer.proto spells it (`roc_auc`), from the key the gRPC client handed over (`rocAuc`). */
export const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The key a name (`learning_rate`) has in a map the gRPC client handed over (`learningRate`). */
const wireKey = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A parameter by the name the trainer gives it (CompareRuns' `differing_params`). */
export const paramOf = (params: Record<string, commonV1.Value> | undefined, name: string) => params?.[name] ?? params?.[wireKey(name)];

/** Whether a map key the client handed over is one of the names the trainer listed. */
export const namedIn = (names: readonly string[], key: string) => names.some((name) => name === key || wireKey(name) === key);

/** A parameter's value as text; `null` for an explicit null, `-` for a parameter the run lacks. */
export function valueText(value: commonV1.Value | undefined): string {
  if (!value) return '-';
  if (value.numberValue !== undefined) return String(value.numberValue);
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.timestampValue !== undefined) return formatTime(value.timestampValue);
  return 'null';
}

/** A parameter as a chart places it: numbers on a value axis, the rest as categories. */
export const axisValue = (value: commonV1.Value | undefined): AxisValue =>
  value?.numberValue ?? (value && valueText(value) !== 'null' ? valueText(value) : undefined);

/** The indexes holding the best value (all of them on a tie); none when no value is known. */
export function bestIndexes(values: ReadonlyArray<number | undefined>, metric: string): Set<number> {
  const known = values.filter((v): v is number => v !== undefined && !Number.isNaN(v));
  if (known.length === 0) return new Set();
  const best = lowerIsBetter(metric) ? Math.min(...known) : Math.max(...known);
  return new Set(values.flatMap((v, i) => (v === best ? [i] : [])));
}

/** Milliseconds as a person reads a training time: `850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** What of a run `/runs/:id/artifacts/:name` downloads, by that name. */
export const RUN_ARTIFACTS = {
  model: { kind: trainerV1.RunArtifact.RUN_ARTIFACT_MODEL, ref: (run: trainerV1.Run) => run.artifact },
  holdout: { kind: trainerV1.RunArtifact.RUN_ARTIFACT_HOLDOUT, ref: (run: trainerV1.Run) => run.holdout?.data },
} as const;

export type RunArtifactName = keyof typeof RUN_ARTIFACTS;

export const isRunArtifactName = (name: string): name is RunArtifactName => Object.hasOwn(RUN_ARTIFACTS, name);
