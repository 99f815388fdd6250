import { type FeatureRecord } from '../serving/point-in-time';
import { historyOf } from '../testing/feature-history';
import { spineFirstInOrder } from './feature-stores.repository';

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
