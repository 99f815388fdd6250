import { formatValue, table } from '../../output';

/** Metrics side by side, one row per metric in the order the first set gives them; "-" where a set lacks one. */
export function metricsTable(
  sets: readonly { readonly title: string; readonly metrics: Readonly<Record<string, number>> | null }[],
): string {
  const names = [...new Set(sets.flatMap((s) => Object.keys(s.metrics ?? {})))];
  return table(
    ['metric', ...sets.map((s) => s.title)],
    names.map((name) => [name, ...sets.map((s) => (s.metrics && name in s.metrics ? formatValue(s.metrics[name]) : '-'))]),
  );
}
