// Seeded synthetic data for the ML benchmark, written to files that both this process and the
// scikit-learn reference read, so the two sides work on identical numbers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, formatCsv } from '../src';

export const FEATURES = 20;

/**
 * `rows` × 20 numeric features (pairs correlated, a few heavy-tailed), a binary label `y` from a
 * logistic model with an interaction — so trees have something linear models miss — and a
 * numeric `target`, as columns `f0 … f19, y, target`.
 */
export function syntheticTrainingColumns(rows: number, seed: number): { name: string; values: Float64Array }[] {
  const rng = new Rng(seed);
  const weights = Array.from({ length: FEATURES }, () => rng.normal());
  const columns = [...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'y', 'target'].map((name) => ({
    name,
    values: new Float64Array(rows),
  }));
  const x = new Float64Array(FEATURES);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < FEATURES; j++) {
      const z = rng.normal();
      x[j] = j % 2 === 1 ? 0.6 * x[j - 1] + 0.8 * z : j % 7 === 0 ? z * z * Math.sign(z) : z;
      columns[j].values[i] = x[j];
    }
    let s = 0;
    for (let j = 0; j < FEATURES; j++) s += 0.3 * weights[j] * x[j];
    const logit = s + 0.8 * x[0] * x[2];
    columns[FEATURES].values[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    columns[FEATURES + 1].values[i] = s + Math.sin(2 * x[1]) + 0.5 * rng.normal();
  }
  return columns;
}

/**
 * {@link syntheticTrainingColumns} written as CSV; numbers in shortest round-trip form, so both
 * readers get the same doubles.
 */
export function writeTrainingCsv(dir: string, rows: number, seed: number): string {
  const columns = syntheticTrainingColumns(rows, seed);
  const data = Array.from({ length: rows }, (_, i) => columns.map((c) => c.values[i]));
  const path = join(dir, 'train.csv');
  writeFileSync(
    path,
    formatCsv(
      columns.map((c) => c.name),
      data,
    ),
  );
  return path;
}

export const DRIFT_NUMERIC = 16;
export const DRIFT_CATEGORICAL = 4;
export const DRIFT_CATEGORIES = 8;

export interface DriftData {
  /** Column-major numeric columns, reference then current. */
  readonly numeric: { reference: Float64Array; current: Float64Array }[];
  /** Category codes 0..DRIFT_CATEGORIES-1. */
  readonly categorical: { reference: Int32Array; current: Int32Array }[];
}

/**
 * 16 numeric and 4 categorical columns of `rows` each, reference and current; every other
 * column of the current sample is shifted. Saved as raw little-endian arrays (numeric.f64,
 * categorical.i32: reference columns, then current ones) that numpy maps directly.
 */
export function writeDriftData(dir: string, rows: number, seed: number): DriftData {
  const rng = new Rng(seed);
  const numeric = Array.from({ length: DRIFT_NUMERIC }, (_, j) => {
    const shift = j % 2 === 1 ? 0.2 : 0;
    const reference = new Float64Array(rows);
    const current = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      reference[i] = rng.normal();
      current[i] = rng.normal() + shift;
    }
    return { reference, current };
  });
  const categorical = Array.from({ length: DRIFT_CATEGORICAL }, (_, j) => {
    const reference = new Int32Array(rows);
    const current = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      reference[i] = rng.nextInt(DRIFT_CATEGORIES);
      // Shifted columns draw the low categories more often.
      current[i] = j % 2 === 1 && rng.next() < 0.2 ? rng.nextInt(2) : rng.nextInt(DRIFT_CATEGORIES);
    }
    return { reference, current };
  });
  const join64 = (parts: Float64Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  const join32 = (parts: Int32Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  writeFileSync(join(dir, 'numeric.f64'), join64([...numeric.map((c) => c.reference), ...numeric.map((c) => c.current)]));
  writeFileSync(join(dir, 'categorical.i32'), join32([...categorical.map((c) => c.reference), ...categorical.map((c) => c.current)]));
  return { numeric, categorical };
}
