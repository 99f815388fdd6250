import * as commonV1 from './generated/flywheel/common/v1/common';

/** A plain value of a column: what a row holds, `null` when missing. */
export type ProfileValue = number | string | boolean | null;

const { ColumnType } = commonV1;
const HISTOGRAM_BINS = 10;
const TOP_VALUES = 100;

/**
 * A column as codes into a dictionary of distinct values (no two with the same text): row i
 * holds `dictionary[codes[i]]`, nothing where the code is -1; codes may leave entries unused. A
 * column whose rows were already told apart (a join's entities, a text column of few values) is
 * counted by code, without hashing each row's value again.
 */
export interface CodedValues {
  readonly codes: Int32Array;
  readonly dictionary: readonly ProfileValue[];
}

export interface ProfiledColumn {
  readonly name: string;
  readonly type: commonV1.ColumnType;
  /** Numbers (NaN: missing; instants as epoch milliseconds), stored values, or coded ones. */
  readonly values: Float64Array | readonly ProfileValue[] | CodedValues;
}

/** The rows' values of a coded column, `null` where missing. */
function decodeValues({ codes, dictionary }: CodedValues): ProfileValue[] {
  return Array.from(codes, (code) => (code === -1 ? null : dictionary[code]));
}

const QUANTILES = 21;

/**
 * Reorders `a` so that for every rank k in `ranks` (ascending), `a[k]` is the value a sort would
 * put there: a quickselect for all of them at once, each partition three-way so that repeated
 * values cost nothing. A profile needs 21 quantiles, not the whole order; a segment that
 * partitions badly (past 64 levels) is sorted instead.
 */
function selectRanks(a: Float64Array, ranks: readonly number[]): void {
  // Segments [lo, hi] with the ranks [from, to] that fall in them, and their depth.
  const stack: number[] = [0, a.length - 1, 0, ranks.length - 1, 0];
  // Fixed: the same values give the same work (the ranks' values do not depend on it).
  let seed = 0x9e3779b9;
  while (stack.length) {
    const depth = stack.pop()!;
    const to = stack.pop()!;
    const from = stack.pop()!;
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    if (from > to || lo >= hi) continue;
    if (hi - lo < 16 || depth > 64) {
      a.subarray(lo, hi + 1).sort();
      continue;
    }
    // The median of three values from pseudo-random places. Fixed places (the ends and the
    // middle) fail on ordered input, which partitioning leaves in patterns where they pick
    // extremes: a sorted column (event times, most often) took 60 levels and then a sort.
    const span = hi - lo + 1;
    const x = a[lo + ((seed = nextSeed(seed)) % span)];
    const y = a[lo + ((seed = nextSeed(seed)) % span)];
    const z = a[lo + ((seed = nextSeed(seed)) % span)];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let lt = lo;
    let gt = hi;
    for (let i = lo; i <= gt;) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    let below = from;
    while (below <= to && ranks[below] < lt) below++;
    let above = below;
    while (above <= to && ranks[above] <= gt) above++;
    stack.push(lo, lt - 1, from, below - 1, depth + 1, gt + 1, hi, above, to, depth + 1);
  }
}

// Buckets the values are counted into to find the ones holding the quantiles' ranks.
const RANK_BUCKETS = 4096;

/**
 * The values a sort of `values` would put at `ranks` (ascending), in their order; `min` and
 * `max` are the values' extremes. Each value is counted into one of equal-width buckets between
 * them — an order-keeping map, so a rank's value lies in the bucket where the counts before it
 * pass the rank — and only the buckets holding a rank are gathered and selected within: two
 * passes over the values instead of a quickselect's levels of partitioning (2.1 against 0.4 ms
 * for 50,000 prices). Values that crowd into few buckets (heavy tails, few distinct values)
 * make the gathered part larger, never the answer different. Reorders nothing.
 */
function orderStatistics(values: Float64Array, ranks: readonly number[], min: number, max: number): Float64Array {
  const out = new Float64Array(ranks.length);
  const scale = RANK_BUCKETS / (max - min);
  if (!(scale > 0 && scale < Infinity)) {
    // All equal, or a span too wide or too narrow (subnormal) for a double's buckets: the quickselect, on a copy.
    const copy = values.slice();
    selectRanks(copy, ranks);
    ranks.forEach((rank, i) => (out[i] = copy[rank]));
    return out;
  }
  const last = RANK_BUCKETS - 1;
  const counts = new Int32Array(RANK_BUCKETS);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i] - min) * scale);
    counts[b < last ? b : last]++;
  }
  // Each wanted bucket's place in the gathered values (-1: not wanted), and each rank's bucket.
  const place = new Int32Array(RANK_BUCKETS).fill(-1);
  const bucketOfRank = new Int32Array(ranks.length);
  const firstRank = new Int32Array(RANK_BUCKETS);
  let gathered = 0;
  for (let b = 0, before = 0, r = 0; b < RANK_BUCKETS && r < ranks.length; before += counts[b++]) {
    if (ranks[r] >= before + counts[b]) continue;
    place[b] = gathered;
    firstRank[b] = before;
    gathered += counts[b];
    while (r < ranks.length && ranks[r] < before + counts[b]) bucketOfRank[r++] = b;
  }
  const held = new Float64Array(gathered);
  const next = place.slice();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let b = Math.floor((v - min) * scale);
    if (b > last) b = last;
    if (next[b] >= 0) held[next[b]++] = v;
  }
  for (let r = 0; r < ranks.length;) {
    const b = bucketOfRank[r];
    const local: number[] = [];
    let end = r;
    while (end < ranks.length && bucketOfRank[end] === b) local.push(ranks[end++] - firstRank[b]);
    const bucket = held.subarray(place[b], place[b] + counts[b]);
    selectRanks(bucket, local);
    for (let k = 0; k < local.length; k++) out[r + k] = bucket[local[k]];
    r = end;
  }
  return out;
}

/** xorshift32: the next of a sequence of pseudo-random 32-bit integers (never 0 from a seed that is not). */
function nextSeed(seed: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

/** The summary of `values` (none missing). */
function numericSummary(values: Float64Array): commonV1.NumericSummary {
  const n = values.length;
  // Summed as differences from the first value: no division per value (a running mean's), and
  // no precision lost to values far from zero (event times in epoch milliseconds).
  const shift = values[0];
  let min = shift;
  let max = shift;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    else if (v > max) max = v;
    sum += v - shift;
  }
  const mean = shift + sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const bins = min === max ? 1 : HISTOGRAM_BINS;
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  if (width === 0) counts[0] = n;
  else
    for (let i = 0; i < n; i++) {
      const bin = Math.floor((values[i] - min) / width);
      counts[bin < bins ? bin : bins - 1]++;
    }
  // Linear interpolation between the two order statistics around each point (numpy's default).
  const positions = Array.from({ length: QUANTILES }, (_, i) => (n - 1) * (i / (QUANTILES - 1)));
  const ranks = [...new Set(positions.flatMap((h) => [Math.floor(h), Math.min(Math.floor(h) + 1, n - 1)]))];
  const atRank = new Map<number, number>();
  orderStatistics(values, ranks, min, max).forEach((v, i) => atRank.set(ranks[i], v));
  return {
    min,
    max,
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    quantiles: positions.map((h) => {
      const lo = Math.floor(h);
      const hi = Math.min(lo + 1, n - 1);
      return atRank.get(lo)! + (h - lo) * (atRank.get(hi)! - atRank.get(lo)!);
    }),
    histogramEdges: edges,
    histogramCounts: counts,
  };
}

/** The values of a typed column that are not missing (NaN): the column itself when none is (nothing here reorders them). */
function presentValues(values: Float64Array): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) count++;
  if (count === values.length) return values;
  const present = new Float64Array(count);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i] === values[i]) present[k++] = values[i];
  return present;
}

/** The `k` smallest of `items` by `compare`, in order: one pass with a bounded heap, not a sort of them all. */
function smallest(items: ArrayLike<number>, k: number, compare: (a: number, b: number) => number): number[] {
  // A max-heap of the best k so far: its root is the one to drop first.
  const heap: number[] = [];
  const swap = (i: number, j: number) => {
    const t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
  };
  for (let n = 0; n < items.length; n++) {
    const item = items[n];
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (compare(heap[i], heap[parent]) <= 0) break;
        swap(i, parent);
        i = parent;
      }
      continue;
    }
    if (k === 0 || compare(item, heap[0]) >= 0) continue;
    heap[0] = item;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && compare(heap[l], heap[top]) > 0) top = l;
      if (r < heap.length && compare(heap[r], heap[top]) > 0) top = r;
      if (top === i) break;
      swap(i, top);
      i = top;
    }
  }
  return heap.sort(compare);
}

const textOf = (v: ProfileValue | number): string => (typeof v === 'string' ? v : String(v));

/**
 * The summary of distinct values counted, `items` indexing both their texts and their counts (of
 * `total`): the most frequent first, equal counts by value.
 */
function summaryOfCounts(
  items: ArrayLike<number>,
  texts: readonly string[],
  counts: ArrayLike<number>,
  total: number,
): commonV1.CategoricalSummary {
  const before = (a: number, b: number) => counts[b] - counts[a] || (texts[a] < texts[b] ? -1 : texts[a] > texts[b] ? 1 : 0);
  const top = smallest(items, TOP_VALUES, before);
  const covered = top.reduce((sum, i) => sum + counts[i], 0);
  return { distinctCount: items.length, topValues: top.map((i) => ({ value: texts[i], count: counts[i] })), otherCount: total - covered };
}

/** Counts of the values, nulls skipped; anything not a string is counted by its text. */
function categoricalSummary(values: Iterable<ProfileValue | number>): commonV1.CategoricalSummary {
  const counts = new Map<string, number>();
  let total = 0;
  for (const v of values) {
    if (v === null) continue;
    const text = textOf(v);
    counts.set(text, (counts.get(text) ?? 0) + 1);
    total++;
  }
  const items = new Int32Array(counts.size);
  for (let i = 0; i < items.length; i++) items[i] = i;
  return summaryOfCounts(items, [...counts.keys()], [...counts.values()], total);
}

/** A coded text column's count of values and its {@link categoricalSummary}, counted by code. */
function codedSummary({ codes, dictionary }: CodedValues): { count: number; categorical: commonV1.CategoricalSummary } {
  const counts = new Int32Array(dictionary.length);
  for (let i = 0; i < codes.length; i++) if (codes[i] !== -1) counts[codes[i]]++;
  // The codes in use, and the dictionary's texts (itself when all text, as a join's keys are).
  const used = new Int32Array(dictionary.length);
  let distinct = 0;
  let total = 0;
  let allText = true;
  for (let code = 0; code < counts.length; code++) {
    const value = dictionary[code];
    if (counts[code] === 0 || value === null) continue;
    used[distinct++] = code;
    total += counts[code];
    if (typeof value !== 'string') allText = false;
  }
  const texts = allText ? (dictionary as readonly string[]) : dictionary.map((v) => (v === null ? '' : textOf(v)));
  return { count: total, categorical: summaryOfCounts(used.subarray(0, distinct), texts, counts, total) };
}

/**
 * A profile of columns in the contracts' shape (a training set's, an imported model's holdout):
 * numbers (and instants, as epoch ms) summarised, the rest counted.
 */
export function profileColumns(rowCount: number, columns: readonly ProfiledColumn[]): commonV1.DataProfile {
  return {
    rowCount,
    columns: columns.map((column): commonV1.ColumnProfile => {
      const numericType = column.type === ColumnType.COLUMN_TYPE_DOUBLE || column.type === ColumnType.COLUMN_TYPE_INTEGER;
      if (column.values instanceof Float64Array) {
        const present = presentValues(column.values);
        const base = { name: column.name, type: column.type, count: present.length, nullCount: column.values.length - present.length };
        if (present.length === 0) return { ...base, categorical: categoricalSummary([]) };
        return numericType || column.type === ColumnType.COLUMN_TYPE_TIMESTAMP
          ? { ...base, numeric: numericSummary(present) }
          : { ...base, categorical: categoricalSummary(present) };
      }
      if ('codes' in column.values) {
        const coded = column.values;
        // Counted by code, unless the column's type may summarise it as numbers.
        if (numericType || column.type === ColumnType.COLUMN_TYPE_TIMESTAMP)
          return profileColumns(rowCount, [{ ...column, values: decodeValues(coded) }]).columns[0];
        const { count, categorical } = codedSummary(coded);
        return { name: column.name, type: column.type, count, nullCount: coded.codes.length - count, categorical };
      }
      const { values } = column;
      let count = 0;
      let allNumbers = true;
      for (const v of values) {
        if (v === null) continue;
        count++;
        if (typeof v !== 'number') allNumbers = false;
      }
      const base = { name: column.name, type: column.type, count, nullCount: values.length - count };
      if (count > 0 && numericType && allNumbers) {
        const numbers = new Float64Array(count);
        for (let i = 0, k = 0; i < values.length; i++) if (values[i] !== null) numbers[k++] = values[i] as number;
        return { ...base, numeric: numericSummary(numbers) };
      }
      if (count > 0 && column.type === ColumnType.COLUMN_TYPE_TIMESTAMP) {
        const millis = values.filter((v) => v !== null).map((v) => new Date(String(v)).getTime());
        if (millis.every((t) => Number.isFinite(t))) return { ...base, numeric: numericSummary(Float64Array.from(millis)) };
      }
      return { ...base, categorical: categoricalSummary(values) };
    }),
  };
}
