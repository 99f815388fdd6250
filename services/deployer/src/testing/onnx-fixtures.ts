// For tests: the ONNX graphs committed in libs/onnx/fixtures, as the registry stores an imported
// version (inspected and rewritten to describe itself), with what the Python library that made
// each one predicted for its rows (fixtures/generate-onnx-fixtures.py there).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectOnnx } from '@flywheel/onnx';

const FIXTURES = join(__dirname, '../../../../libs/onnx/fixtures');

export type OnnxFixtureName =
  'random-forest-classifier' | 'xgboost-classifier' | 'logistic-regression-scaled' | 'gradient-boosting-regressor';

export interface OnnxFixture {
  /** The graph's file as a team brings it. */
  readonly original: Buffer;
  /** The graph as the registry stores it: describes itself, so it loads with no options. */
  readonly stored: Buffer;
  /** The feature each input column carries, in order. */
  readonly features: readonly string[];
  readonly task: 'binary' | 'regression';
  readonly classes?: readonly (number | string)[];
  readonly rows: ReadonlyArray<ReadonlyArray<number | null>>;
  readonly expected: {
    /** Per row, the probability of each class in `classes` order (classifiers). */
    readonly probabilities?: ReadonlyArray<readonly number[]>;
    readonly labels?: ReadonlyArray<number | string>;
    /** Per row, the predicted value (regression). */
    readonly values?: readonly number[];
  };
}

export function onnxFixture(name: OnnxFixtureName, features?: readonly string[]): OnnxFixture {
  const original = readFileSync(join(FIXTURES, `${name}.onnx`));
  const reference = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Omit<OnnxFixture, 'original' | 'stored'>;
  const named = features ?? reference.features;
  return { ...reference, features: named, original, stored: Buffer.from(inspectOnnx(original, { features: named }).bytes) };
}

/** A fixture row as named feature values. */
export function fixtureRow(fixture: OnnxFixture, i: number): Record<string, number | null> {
  return Object.fromEntries(fixture.features.map((f, j) => [f, fixture.rows[i]![j]!]));
}
