import { gridSearch, randomSearch } from './search';

describe('gridSearch', () => {
  it('tries the full Cartesian product and keeps the best (first among ties)', () => {
    const seen: string[] = [];
    const out = gridSearch({ a: [1, 2, 3], b: ['x', 'y'] }, (p) => {
      seen.push(`${p.a}${p.b}`);
      return -Math.abs((p.a as number) - 2) + (p.b === 'y' ? 0.5 : 0);
    });
    expect(seen).toEqual(['1x', '1y', '2x', '2y', '3x', '3y']);
    expect(out.best.params).toEqual({ a: 2, b: 'y' });
    expect(out.results).toHaveLength(6);
    const min = gridSearch({ a: [3, 1, 2] }, (p) => p.a as number, { maximize: false });
    expect(min.best).toEqual({ params: { a: 1 }, score: 1 });
  });

  it('rejects empty grids and NaN scores', () => {
    expect(() => gridSearch({ a: [] }, () => 1)).toThrow('grid entry "a" has no values');
    expect(() => gridSearch({ a: [1] }, () => Number.NaN)).toThrow('scoring returned NaN');
  });
});

describe('randomSearch', () => {
  it('samples lists and (log-)ranges within bounds, reproducibly', () => {
    const space = { c: { min: 1e-3, max: 1e3, log: true }, depth: { min: 2, max: 6, integer: true }, loss: ['a', 'b'] } as const;
    const run = (): ReturnType<typeof randomSearch> => randomSearch(space, 200, 9, (p) => -Math.abs(Math.log10(p.c as number)));
    const out = run();
    expect(out.results).toHaveLength(200);
    for (const r of out.results) {
      expect(r.params.c).toBeGreaterThanOrEqual(1e-3);
      expect(r.params.c).toBeLessThanOrEqual(1e3);
      expect([2, 3, 4, 5, 6]).toContain(r.params.depth);
      expect(['a', 'b']).toContain(r.params.loss);
    }
    // Log-uniform: about half the draws fall below 1.
    const below = out.results.filter((r) => (r.params.c as number) < 1).length;
    expect(below).toBeGreaterThan(70);
    expect(below).toBeLessThan(130);
    expect(new Set(out.results.map((r) => r.params.depth)).size).toBe(5);
    expect(run()).toEqual(out);
    expect(Math.abs(Math.log10(out.best.params.c as number))).toBeLessThan(0.2);
  });
});
