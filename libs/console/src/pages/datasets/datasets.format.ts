import { commonV1 } from '@flywheel/contracts';
import { enumLabel, formatNumber, formatTime } from '../../format';

const DURATION_UNITS: ReadonlyArray<[ms: number, unit: string]> = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1000, 's'],
];

export const columnTypeLabel = (type: commonV1.ColumnType): string => enumLabel(commonV1.ColumnType, type, 'COLUMN_TYPE');

/** A span of milliseconds in the largest unit it fills (`2.5 h`); under a second in ms. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const found = DURATION_UNITS.find(([size]) => Math.abs(ms) >= size);
  return found ? `${formatNumber(ms / found[0], 3)} ${found[1]}` : `${formatNumber(ms, 3)} ms`;
}

/** A time range as `start – end`, `-` when unset. */
export function formatRange(range: commonV1.TimeRange | undefined): string {
  if (!range?.start && !range?.end) return '-';
  return `${formatTime(range.start)} – ${formatTime(range.end)}`;
}

/** A hash's first characters: enough to tell versions apart on screen. */
export const shortHash = (sha256: string): string => (sha256 ? sha256.slice(0, 12) : '-');
