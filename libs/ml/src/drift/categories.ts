/**
 * Categorical input: plain values (null/undefined missing) or a dictionary-encoded column
 * (`codes[i]` indexes `dictionary`, negative codes are missing) such as the table reader makes.
 * Reference and current may use different dictionaries; categories are matched by their text.
 */
export type CategoricalArray =
  readonly (string | null | undefined)[] | { readonly codes: Int32Array; readonly dictionary: readonly string[] };

/** Counts per category over the union of both samples, keys in ascending order. */
export interface CategoryCounts<K extends string | number = string | number> {
  readonly keys: readonly K[];
  readonly reference: Float64Array;
  readonly current: Float64Array;
  readonly nReference: number;
  readonly nCurrent: number;
}

function countValues(values: CategoricalArray): Map<string, number> {
  const counts = new Map<string, number>();
  if ('codes' in values) {
    const perCode = new Float64Array(values.dictionary.length);
    const codes = values.codes;
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) perCode[codes[i]]++;
    values.dictionary.forEach((key, code) => {
      if (perCode[code] > 0) counts.set(key, (counts.get(key) ?? 0) + perCode[code]);
    });
  } else {
    for (const v of values) if (v !== null && v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

/** Ascending key order: numeric for numbers, code-unit order for strings (Python's `sorted`). */
export function compareKeys(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function categoryCountsFromMaps<K extends string | number>(ref: Map<K, number>, cur: Map<K, number>): CategoryCounts<K> {
  const keys = [...new Set([...ref.keys(), ...cur.keys()])].sort(compareKeys);
  const reference = new Float64Array(keys.length);
  const current = new Float64Array(keys.length);
  let nReference = 0;
  let nCurrent = 0;
  keys.forEach((k, i) => {
    reference[i] = ref.get(k) ?? 0;
    current[i] = cur.get(k) ?? 0;
    nReference += reference[i];
    nCurrent += current[i];
  });
  return { keys, reference, current, nReference, nCurrent };
}

/** Category counts of two categorical samples; missing values are dropped, as Evidently does. */
export function categoricalCounts(reference: CategoricalArray, current: CategoricalArray): CategoryCounts<string> {
  return categoryCountsFromMaps(countValues(reference), countValues(current));
}

/** Distinct values of two ascending numeric samples taken as categories. */
export function numericValueCounts(reference: Float64Array, current: Float64Array): CategoryCounts<number> {
  const runs = (a: Float64Array): Map<number, number> => {
    const m = new Map<number, number>();
    let i = 0;
    while (i < a.length) {
      let j = i;
      while (j < a.length && a[j] === a[i]) j++;
      m.set(a[i], j - i);
      i = j;
    }
    return m;
  };
  return categoryCountsFromMaps(runs(reference), runs(current));
}
