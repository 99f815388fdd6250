const UNIT_SECONDS = { d: 86_400, h: 3600, m: 60, s: 1 } as const;
type Unit = keyof typeof UNIT_SECONDS;

/** A duration as people write it: `90s`, `30m`, `2h`, `7d`, `1h30m`, or plain whole seconds. */
export const DURATION_PATTERN = /^(?:\d+|(?:\d+[dhms])+)$/;

/** Whole seconds of a duration matching DURATION_PATTERN; undefined for anything else, or one too long to count. */
export function durationSeconds(raw: string): number | undefined {
  const text = raw.trim();
  if (!DURATION_PATTERN.test(text)) return undefined;
  if (/^\d+$/.test(text)) return Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
  let seconds = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)([dhms])/g)) seconds += Number(count) * UNIT_SECONDS[unit as Unit];
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Seconds written the way DURATION_PATTERN reads them back, largest units first: 5400 → `1h30m`. */
export function formatDuration(seconds: number): string {
  // Fractions of a second (a protobuf Duration can carry nanoseconds) stay in seconds.
  if (!Number.isInteger(seconds)) return `${+seconds.toFixed(9)}s`;
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
