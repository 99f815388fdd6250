import { planVersions } from './version-plan';

const batches = (...counts: number[]) => counts.map((rowCount, i) => ({ id: String(i + 1), rowCount }));

describe('planVersions', () => {
  it('cuts full versions across batch boundaries, sharing the batch that crosses one', () => {
    const plan = planVersions(batches(4, 4, 4), { maxRows: 5, maxVersions: 10, onlyFull: true });
    expect(plan.versions).toEqual([
      { batchIds: ['1', '2'], skip: 0, rows: 5 },
      { batchIds: ['2', '3'], skip: 1, rows: 5 },
    ]);
    // Batch 3 gave 2 of its 4 records: the other 2 stay staged.
    expect(plan).toMatchObject({ consumed: ['1', '2'], split: '3', splitTaken: 2, left: 2 });
  });

  it('takes a short last version when asked for everything, and nothing short when only full ones are wanted', () => {
    expect(planVersions(batches(3, 3), { maxRows: 5, maxVersions: 10, onlyFull: false })).toEqual({
      versions: [
        { batchIds: ['1', '2'], skip: 0, rows: 5 },
        { batchIds: ['2'], skip: 2, rows: 1 },
      ],
      consumed: ['1', '2'],
      split: null,
      splitTaken: 0,
      left: 0,
    });
    expect(planVersions(batches(3), { maxRows: 5, maxVersions: 10, onlyFull: true })).toEqual({
      versions: [],
      consumed: [],
      split: null,
      splitTaken: 0,
      left: 3,
    });
  });

  it('stops at maxVersions, leaving the rest staged', () => {
    const plan = planVersions(batches(10, 10, 10), { maxRows: 10, maxVersions: 2, onlyFull: false });
    expect(plan.versions.map((v) => v.batchIds)).toEqual([['1'], ['2']]);
    expect(plan).toMatchObject({ consumed: ['1', '2'], split: null, left: 10 });
  });

  it('passes over empty batches and removes them with the batches around them', () => {
    const plan = planVersions(batches(2, 0, 3), { maxRows: 5, maxVersions: 10, onlyFull: true });
    expect(plan.versions).toEqual([{ batchIds: ['1', '3'], skip: 0, rows: 5 }]);
    expect(plan.consumed).toEqual(['1', '2', '3']);
  });

  it('keeps every record exactly once, in order, whatever the batch sizes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const counts = Array.from({ length: 1 + (seed % 7) }, (_, i) => ((seed * 31 + i * 17) % 9) + (i % 3 === 0 ? 0 : 1));
      const maxRows = 1 + (seed % 6);
      const plan = planVersions(batches(...counts), { maxRows, maxVersions: 3, onlyFull: seed % 2 === 0 });
      // Records as (batch, index) pairs, as the versions take them.
      const taken: string[] = [];
      for (const version of plan.versions) {
        let need = version.rows;
        version.batchIds.forEach((id, k) => {
          const count = counts[Number(id) - 1]!;
          for (let i = k === 0 ? version.skip : 0; i < count && need > 0; i++, need--) taken.push(`${id}:${i}`);
        });
        expect(need).toBe(0);
      }
      const all = counts.flatMap((count, b) => Array.from({ length: count }, (_, i) => `${b + 1}:${i}`));
      expect(taken).toEqual(all.slice(0, taken.length));
      // The split batch gives its first splitTaken records; the consumed ones all of theirs.
      const fromSplit = taken.filter((t) => t.startsWith(`${plan.split}:`)).length;
      expect(plan.split === null ? 0 : fromSplit).toBe(plan.splitTaken);
      expect(plan.consumed.reduce((n, id) => n + counts[Number(id) - 1]!, 0) + plan.splitTaken).toBe(taken.length);
      expect(plan.left).toBe(all.length - taken.length);
    }
  });
});
