/**
 * One JSON document for scripts, pretty-printed, ending in a newline. Typed arrays become arrays.
 * JSON has no non-finite numbers, so ±Infinity and NaN are written as the strings "Infinity",
 * "-Infinity" and "NaN" rather than silently as null.
 */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, replacer, 2)}\n`;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  // Elements come back through the replacer, so non-finite entries are handled above.
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
