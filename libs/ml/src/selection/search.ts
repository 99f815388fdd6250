import { Rng } from '../random/rng';

export type ParamValue = number | string | boolean;
export type Params = Readonly<Record<string, ParamValue>>;

export interface SearchResult {
  readonly params: Params;
  readonly score: number;
}

export interface SearchOutcome {
  /** The best candidate; the first one tried wins ties. */
  readonly best: SearchResult;
  /** Every candidate in the order tried. */
  readonly results: readonly SearchResult[];
}

export interface SearchOptions {
  /** Whether a larger score is better (default true, as sklearn scorers). */
  readonly maximize?: boolean;
}

/** Exhaustive search over the Cartesian product of `grid` (keys in insertion order, the last key varying fastest). */
export function gridSearch(
  grid: Readonly<Record<string, readonly ParamValue[]>>,
  evaluate: (params: Params) => number,
  options: SearchOptions = {},
): SearchOutcome {
  return run(gridCandidates(grid), evaluate, options);
}

/** The candidates {@link gridSearch} tries, in its order: for callers that evaluate them elsewhere (in parallel). */
export function gridCandidates(grid: Readonly<Record<string, readonly ParamValue[]>>): Params[] {
  const keys = Object.keys(grid);
  for (const k of keys) if (grid[k].length === 0) throw new RangeError(`grid entry "${k}" has no values`);
  const candidates: Params[] = [];
  const walk = (i: number, acc: Record<string, ParamValue>): void => {
    if (i === keys.length) {
      candidates.push({ ...acc });
      return;
    }
    for (const v of grid[keys[i]]) walk(i + 1, { ...acc, [keys[i]]: v });
  };
  walk(0, {});
  return candidates;
}

/** A continuous or integer range sampled uniformly (or log-uniformly when `log`). */
export interface ParamRange {
  readonly min: number;
  readonly max: number;
  readonly log?: boolean;
  readonly integer?: boolean;
}

export type ParamDistribution = readonly ParamValue[] | ParamRange;

/** `nIter` seeded random candidates: a list is sampled uniformly, a range (log-)uniformly. */
export function randomSearch(
  space: Readonly<Record<string, ParamDistribution>>,
  nIter: number,
  seed: number,
  evaluate: (params: Params) => number,
  options: SearchOptions = {},
): SearchOutcome {
  return run(randomCandidates(space, nIter, seed), evaluate, options);
}

/** The candidates {@link randomSearch} tries with this seed, in its order. */
export function randomCandidates(space: Readonly<Record<string, ParamDistribution>>, nIter: number, seed: number): Params[] {
  if (!Number.isInteger(nIter) || nIter < 1) throw new RangeError(`nIter must be a positive integer, got ${nIter}`);
  const rng = new Rng(seed);
  const candidates: Params[] = [];
  for (let it = 0; it < nIter; it++) {
    const p: Record<string, ParamValue> = {};
    for (const [key, dist] of Object.entries(space)) p[key] = sample(key, dist, rng);
    candidates.push(p);
  }
  return candidates;
}

function sample(key: string, dist: ParamDistribution, rng: Rng): ParamValue {
  if (isRange(dist)) {
    const { min, max } = dist;
    if (!(min <= max)) throw new RangeError(`range "${key}": min ${min} > max ${max}`);
    if (dist.integer) return Math.floor(min) + rng.nextInt(Math.floor(max) - Math.floor(min) + 1);
    if (dist.log) {
      if (!(min > 0)) throw new RangeError(`log range "${key}" needs min > 0`);
      return Math.exp(Math.log(min) + rng.next() * (Math.log(max) - Math.log(min)));
    }
    return min + rng.next() * (max - min);
  }
  if (dist.length === 0) throw new RangeError(`search entry "${key}" has no values`);
  return dist[rng.nextInt(dist.length)];
}

function isRange(d: ParamDistribution): d is ParamRange {
  return !Array.isArray(d);
}

function run(candidates: Params[], evaluate: (params: Params) => number, options: SearchOptions): SearchOutcome {
  const sign = options.maximize === false ? -1 : 1;
  const results: SearchResult[] = [];
  let best: SearchResult | null = null;
  for (const params of candidates) {
    const score = evaluate(params);
    if (Number.isNaN(score)) throw new Error(`scoring returned NaN for ${JSON.stringify(params)}`);
    const r = { params, score };
    results.push(r);
    if (best === null || sign * score > sign * best.score) best = r;
  }
  return { best: best as SearchResult, results };
}
