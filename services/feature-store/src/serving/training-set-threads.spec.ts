import { commonV1, type ProfiledColumn, profileColumns } from '@flywheel/contracts';
import { type CsvCell, type CsvColumn, formatCsv } from '@flywheel/ml';
import { sha256Hex } from '@flywheel/storage';
import { type FeatureStoreConfig } from '../feature-store.config';
import { shareColumns, TrainingSetThreads } from './training-set-threads';

/** Threads that cut a set of a few thousand rows in parts, as they cut a large one. */
class SmallParts extends TrainingSetThreads {
  protected override readonly minPartRows = 1_000;
}

describe('training-set threads', () => {
  const config = { TRAINING_SET_WORKERS: 2, TRAINING_SET_WORKER_HEAP_MB: 256 } as FeatureStoreConfig;
  const threads = new TrainingSetThreads(config);
  const inParts = new SmallParts(config);
  afterAll(() => Promise.all([threads.onModuleDestroy(), inParts.onModuleDestroy()]));

  const rows = 5_000;
  const keys = Array.from({ length: rows }, (_, i) => `customer, "${i}"`);
  const amounts = Float64Array.from({ length: rows }, (_, i) => (i % 97 === 0 ? Number.NaN : i * 1.25));
  const channels = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : ['web', 'phone'][i % 2]));
  const times = Float64Array.from({ length: rows }, (_, i) => Date.UTC(2026, 11, 6) + i * 60_007);
  // Coded text, an entry that must be quoted among them.
  const regions = {
    codes: Int32Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? -1 : i % 3)),
    dictionary: ['north', 'é-south', 'west, "far"'],
  };

  it('writes on threads the CSV text formatCsv writes for the same rows, with its sha256, two sets at once', async () => {
    const header = ['customer', 'at', 'amount', 'channel', 'region'];
    const sets: Array<{ header: string[]; columns: CsvColumn[] }> = [
      { header, columns: [keys, { instants: times }, amounts, channels, regions] },
      { header: ['amount'], columns: [amounts] },
    ];
    for (const writer of [threads, inParts]) {
      const written = await Promise.all(sets.map((set) => writer.write(set)));
      written.forEach(({ bytes, sha256 }, i) => {
        const { columns } = sets[i];
        const cell = (c: CsvColumn, r: number): CsvCell => {
          if ('instants' in c) return new Date(c.instants[r]).toISOString();
          return 'codes' in c ? (c.codes[r] === -1 ? null : c.dictionary[c.codes[r]]) : c[r];
        };
        const asRows = Array.from({ length: rows }, (_, r) => columns.map((c) => cell(c, r)));
        const expected = Buffer.from(formatCsv(sets[i].header, asRows), 'utf8');
        expect(bytes.equals(expected)).toBe(true);
        expect(sha256).toBe(sha256Hex(expected));
      });
    }
    // The threads start here, compiling their code, beside a whole suite's other workers.
  }, 30_000);

  it('names the row of the whole set that cannot be written, in whichever part it is', async () => {
    const values = Float64Array.from({ length: 3_000 }, (_, i) => (i === 2_500 ? Number.NEGATIVE_INFINITY : i));
    await expect(inParts.write({ header: ['x'], columns: [values] })).rejects.toThrow(
      'row 2501, column "x": -Infinity cannot be written to CSV',
    );
  });

  it('fails a set that cannot be written with the reason, and writes the next', async () => {
    await expect(threads.write({ header: ['x'], columns: [Float64Array.of(1, Number.POSITIVE_INFINITY)] })).rejects.toThrow(
      'row 2, column "x": Infinity cannot be written to CSV',
    );
    expect((await threads.write({ header: ['x'], columns: [Float64Array.of(1, 2)] })).bytes.toString()).toBe('x\n1\n2\n');
  });

  it('profiles columns on the threads as profileColumns does, in the order asked, beside a set being written', async () => {
    const { ColumnType } = commonV1;
    const columns: ProfiledColumn[] = [
      { name: 'customer', type: ColumnType.COLUMN_TYPE_STRING, values: keys },
      { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, values: times },
      { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, values: amounts },
      { name: 'channel', type: ColumnType.COLUMN_TYPE_STRING, values: channels },
      { name: 'region', type: ColumnType.COLUMN_TYPE_STRING, values: regions },
      { name: 'flag', type: ColumnType.COLUMN_TYPE_BOOLEAN, values: keys.map((_, i) => (i % 3 === 0 ? null : i % 2 === 0)) },
    ];
    const single = new TrainingSetThreads({ ...config, TRAINING_SET_WORKERS: 1 });
    try {
      const writing = threads.write({ header: ['amount'], columns: [amounts] });
      const [profiled, alone] = await Promise.all([threads.profile(rows, columns), single.profile(rows, columns)]);
      await writing;
      const expected = profileColumns(rows, columns);
      expect(profiled).toEqual(expected);
      expect(alone).toEqual(expected);
      expect(await threads.profile(rows, [])).toEqual({ rowCount: rows, columns: [] });
    } finally {
      await single.onModuleDestroy();
    }
  }, 30_000);

  it('shares columns out among threads, text (the costlier to count) weighing twice a number', () => {
    const { ColumnType } = commonV1;
    const text = (n: number): ProfiledColumn => ({ name: 't', type: ColumnType.COLUMN_TYPE_STRING, values: Array<string>(n).fill('a') });
    const numbers = (n: number): ProfiledColumn => ({ name: 'n', type: ColumnType.COLUMN_TYPE_DOUBLE, values: new Float64Array(n) });
    // Weights 10, 20, 10, 10, 10: the text and a number on one thread, three numbers on the other.
    expect(shareColumns([numbers(10), text(10), numbers(10), numbers(10), numbers(10)], 2)).toEqual([
      [1, 3],
      [0, 2, 4],
    ]);
    // Weights 40, 10, 10: the heavy text alone.
    expect(shareColumns([numbers(10), text(20), numbers(10)], 2)).toEqual([[1], [0, 2]]);
    // Never an empty group: as many as there are columns, at most.
    expect(shareColumns([numbers(5)], 4)).toEqual([[0]]);
    expect(shareColumns([], 2)).toEqual([]);
    // Every column once, each group in the columns' order.
    const many = Array.from({ length: 9 }, (_, i) => (i % 2 ? text(i + 1) : numbers(i + 1)));
    const groups = shareColumns(many, 3);
    expect(groups.flat().sort((a, b) => a - b)).toEqual([...many.keys()]);
    for (const group of groups) expect(group).toEqual([...group].sort((a, b) => a - b));
  });
});
