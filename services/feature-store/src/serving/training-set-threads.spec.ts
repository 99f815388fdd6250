import { type CsvCell, type CsvColumn, formatCsv } from '@flywheel/ml';
import { sha256Hex } from '@flywheel/storage';
import { type FeatureStoreConfig } from '../feature-store.config';
import { TrainingSetThreads } from './training-set-threads';

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

  it('writes on threads the CSV text formatCsv writes for the same rows, with its sha256, two sets at once', async () => {
    const header = ['customer', 'at', 'amount', 'channel'];
    const sets: Array<{ header: string[]; columns: CsvColumn[] }> = [
      { header, columns: [keys, { instants: times }, amounts, channels] },
      { header: ['amount'], columns: [amounts] },
    ];
    for (const writer of [threads, inParts]) {
      const written = await Promise.all(sets.map((set) => writer.write(set)));
      written.forEach(({ bytes, sha256 }, i) => {
        const { columns } = sets[i];
        const cell = (c: CsvColumn, r: number): CsvCell => ('instants' in c ? new Date(c.instants[r]).toISOString() : c[r]);
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
});
