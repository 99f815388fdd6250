/** Values as the pages show them. */

/** A protobuf Timestamp as the gRPC client hands it over (a Date), in UTC to the second; `-` when unset. */
export function formatTime(value: Date | string | number | { seconds: number; nanos?: number } | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const date =
    typeof value === 'object' && !(value instanceof Date) ? new Date(value.seconds * 1000 + (value.nanos ?? 0) / 1e6) : new Date(value);
  return Number.isNaN(date.getTime())
    ? '-'
    : date
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace('T', ' ');
}

/** A number to at most `digits` significant digits; `-` for undefined, NaN as `NaN`. */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '-';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

/** A share (0..1) as a percentage. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return `${formatNumber(value * 100, 3)}%`;
}

/**
 * A generated enum's value by its name without the common prefix, in words:
 * `AUDIT_ACTION_PROMOTION_REFUSED` → `promotion refused`.
 */
export function enumLabel(enumObject: Record<string | number, string | number>, value: number, prefix: string): string {
  const name = enumObject[value];
  if (typeof name !== 'string') return String(value);
  return name
    .replace(new RegExp(`^${prefix}_`), '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units, as the platform's limits are defined (1 MiB, 64 KiB). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(value, 3)} ${BYTE_UNITS[unit]}`;
}
