import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { halvingRounds } from './halving';

interface SklearnSchedule {
  rows: number;
  candidates: number;
  roundCandidates: number[];
  roundRows: number[];
}

// fixtures/generate-halving.py: HalvingRandomSearchCV(factor=3, min_resources="exhaust").
const schedules = JSON.parse(readFileSync(join(__dirname, '../../fixtures/halving-sklearn.json'), 'utf8')) as SklearnSchedule[];

describe('halvingRounds', () => {
  it.each(schedules.map((s): [number, number, SklearnSchedule] => [s.candidates, s.rows, s]))(
    '%i candidates on %i rows: the rounds of scikit-learn',
    (candidates, rows, expected) => {
      const rounds = halvingRounds(candidates, rows);
      expect(rounds.map((r) => r.candidates)).toEqual(expected.roundCandidates);
      expect(rounds.map((r) => r.rows)).toEqual(expected.roundRows);
    },
  );

  it('costs a small multiple of one full fit however many candidates', () => {
    for (const candidates of [9, 27, 81, 243]) {
      const rows = 100_000;
      const cost = halvingRounds(candidates, rows).reduce((sum, r) => sum + (r.candidates * r.rows) / rows, 0);
      expect(cost).toBeLessThan(1 + Math.log(candidates) / Math.log(3) + 1);
    }
  });

  it('keeps every round above the row floor, with fewer rounds when it must', () => {
    const rounds = halvingRounds(81, 10_000, { minRows: 1000 });
    expect(rounds).toEqual([
      { candidates: 81, rows: 1000 },
      { candidates: 27, rows: 3000 },
      { candidates: 9, rows: 9000 },
    ]);
  });

  it('refuses counts that are not positive integers and a factor below 2', () => {
    expect(() => halvingRounds(0, 100)).toThrow('candidates must be a positive integer, got 0');
    expect(() => halvingRounds(5, 1.5)).toThrow('rows must be a positive integer, got 1.5');
    expect(() => halvingRounds(5, 100, { factor: 1 })).toThrow('factor must be an integer ≥ 2, got 1');
  });
});
