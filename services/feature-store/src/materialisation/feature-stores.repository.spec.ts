import { type FeatureRecord } from '../serving/point-in-time';
import { historyOf } from '../testing/feature-history';
import { datasetReadStarts, spineFirstInOrder } from './feature-stores.repository';

const record = (datasetVersion: number, rowIndex: number, entityKey: string): FeatureRecord => ({
  entityKey,
  eventTime: new Date(Date.UTC(2026, 0, 1) + datasetVersion * 1000 + rowIndex),
  datasetVersion,
  rowIndex,
  values: { amount: datasetVersion * 100 + rowIndex, tag: `${entityKey}@${datasetVersion}.${rowIndex}` },
});

describe('spineFirstInOrder', () => {
  const spine = [record(1, 0, 'a'), record(1, 1, 'b'), record(2, 0, 'a'), record(2, 5, 'c'), record(3, 2, 'b')];
  const others = [record(9, 1, 'a'), record(0, 3, 'c')];

  it('hands back the same history when the spine is in the dataset’s order already', () => {
    const history = historyOf([...spine, ...others]);
    expect(spineFirstInOrder(history, spine.length)).toBe(history);
  });

  it('puts a spine that came in another order into the dataset’s order, every column with it, and leaves the rest after it', () => {
    const shuffled = [spine[3], spine[0], spine[4], spine[2], spine[1]];
    const ordered = spineFirstInOrder(historyOf([...shuffled, ...others]), spine.length);
    const expected = historyOf([...spine, ...others]);
    expect(ordered.entityKeys).toEqual(expected.entityKeys);
    expect(Array.from(ordered.eventTimes)).toEqual(Array.from(expected.eventTimes));
    expect(Array.from(ordered.datasetVersions)).toEqual(Array.from(expected.datasetVersions));
    expect(Array.from(ordered.rowIndexes)).toEqual(Array.from(expected.rowIndexes));
    expect(ordered.features).toEqual(expected.features);
  });
});

describe('datasetReadStarts', () => {
  const sizes = (...rows: Array<[number, number]>) => new Map(rows);

  it('reads a range too small to split in one part, from the start', () => {
    expect(datasetReadStarts(sizes([1, 10_000], [2, 9_999]), 10_000)).toEqual([[0, -1]]);
    expect(datasetReadStarts(sizes(), 10_000)).toEqual([[0, -1]]);
  });

  it('starts the second part after the first 40% of the records, found by row within its version', () => {
    // 50,000 records in five versions of 10,000: the first part ends after 20,000, with version 2.
    const five = sizes([1, 10_000], [2, 10_000], [3, 10_000], [4, 10_000], [5, 10_000]);
    expect(datasetReadStarts(five, 10_000)).toEqual([
      [0, -1],
      [3, -1],
    ]);
    // One version: the first 8,000 rows, then the rest.
    expect(datasetReadStarts(sizes([7, 20_000]), 10_000)).toEqual([
      [0, -1],
      [7, 7_999],
    ]);
    // Versions listed out of order, empty ones skipped over.
    expect(datasetReadStarts(sizes([3, 15_000], [1, 0], [2, 10_000]), 10_000)).toEqual([
      [0, -1],
      [3, -1],
    ]);
    expect(datasetReadStarts(sizes([3, 15_000], [1, 0], [2, 9_000]), 10_000)).toEqual([
      [0, -1],
      [3, 599],
    ]);
  });
});
