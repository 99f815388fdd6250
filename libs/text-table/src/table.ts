/** A table cell; numbers are printed with `String`, so format them first when precision matters. */
export type Cell = string | number;

// A formatted number: optional sign, digits with thousands separators, fraction, exponent, a
// trailing % or × — or a placeholder for "none". Such columns are right-aligned.
const NUMERIC = /^(?:[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?\s?[%×]?|[-+]?inf|NaN)$/i;
const PLACEHOLDERS = new Set(['', '-', '—']);

/**
 * A plain-text table for people: a header, a rule, then one line per row. A column whose cells
 * are all numbers (or placeholders) is right-aligned so digits line up; any other is left-aligned.
 */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((row) => {
    if (row.length !== headers.length) throw new RangeError(`table row has ${row.length} cells, but there are ${headers.length} headers`);
    return row.map((c) => String(c));
  });
  const right = headers.map((_, j) => {
    const column = cells.map((r) => r[j]);
    return column.some((c) => !PLACEHOLDERS.has(c)) && column.every((c) => PLACEHOLDERS.has(c) || NUMERIC.test(c));
  });
  const widths = headers.map((h, j) => Math.max(h.length, ...cells.map((r) => r[j].length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, j) => (right[j] ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
