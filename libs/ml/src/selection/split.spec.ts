import fc from 'fast-check';
import { kFold, splitIndices } from './split';

const sorted = (a: Int32Array): number[] => Array.from(a).sort((x, y) => x - y);

describe('splitIndices', () => {
  it('partitions rows with sklearn-style sizes, deterministically per seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 500 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const s = splitIndices(n, { validation: 0.2, test: 0.1, seed });
        expect(s.test.length).toBe(Math.ceil(0.1 * n));
        expect(s.validation.length).toBe(Math.ceil(0.2 * n));
        expect(sorted(Int32Array.from([...s.train, ...s.validation, ...s.test]))).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(splitIndices(n, { validation: 0.2, test: 0.1, seed })).toEqual(s);
      }),
      { numRuns: 50 },
    );
  });

  it('stratifies: every part keeps the class proportions up to rounding', () => {
    const n = 1000;
    const classes = Int32Array.from({ length: n }, (_, i) => (i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2));
    const s = splitIndices(n, { validation: 0.25, test: 0.15, stratify: classes, seed: 11 });
    const share = (rows: Int32Array, k: number): number => rows.filter((i) => classes[i] === k).length / rows.length;
    for (const part of [s.train, s.validation, s.test]) {
      expect(Math.abs(share(part, 0) - 0.7)).toBeLessThan(0.01);
      expect(Math.abs(share(part, 1) - 0.2)).toBeLessThan(0.01);
      expect(Math.abs(share(part, 2) - 0.1)).toBeLessThan(0.01);
    }
    expect(s.validation.length).toBe(250);
    expect(s.test.length).toBe(150);
  });

  it('changes with the seed and rejects impossible splits', () => {
    expect(splitIndices(100, { validation: 0.3, seed: 1 }).validation).not.toEqual(
      splitIndices(100, { validation: 0.3, seed: 2 }).validation,
    );
    expect(() => splitIndices(3, { validation: 0.5, test: 0.4, seed: 1 })).toThrow('leaves no training rows');
    expect(() => splitIndices(10, { validation: 1, seed: 1 })).toThrow('validation share must be in [0, 1)');
  });
});

describe('kFold', () => {
  it('covers every row exactly once as test, with KFold fold sizes', () => {
    const folds = kFold(23, 5);
    expect(folds.map((f) => f.test.length)).toEqual([5, 5, 5, 4, 4]);
    expect(sorted(Int32Array.from(folds.flatMap((f) => Array.from(f.test))))).toEqual(Array.from({ length: 23 }, (_, i) => i));
    for (const f of folds) expect(f.train.length + f.test.length).toBe(23);
    // Without shuffling folds are contiguous, as sklearn's KFold(shuffle=False).
    expect(Array.from(folds[0].test)).toEqual([0, 1, 2, 3, 4]);
  });

  it('stratifies so that each fold holds a near-equal share of every class', () => {
    const classes = Int32Array.from({ length: 103 }, (_, i) => (i < 20 ? 1 : 0));
    const folds = kFold(103, 4, { stratify: classes, shuffle: true, seed: 5 });
    for (const f of folds) {
      const positives = f.test.filter((i) => classes[i] === 1).length;
      expect(positives).toBe(5);
      expect(Math.abs(f.test.length - 103 / 4)).toBeLessThan(1);
    }
    expect(kFold(103, 4, { stratify: classes, shuffle: true, seed: 5 })).toEqual(folds);
  });

  it('rejects too many folds', () => {
    expect(() => kFold(3, 4)).toThrow('cannot make 4 folds from 3 rows');
    expect(() => kFold(10, 1)).toThrow('k must be an integer ≥ 2');
  });
});
