import { type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { SpineColumns } from './spine-columns';

const version = (n: number, sha256 = `sha-${n}`): DatasetVersionRecord =>
  ({ dataset: 'claims', version: n, objectKey: `datasets/claims/v${n}/data.csv`, objectSha256: sha256 }) as DatasetVersionRecord;

describe('SpineColumns', () => {
  it('keeps a version’s column by its object, so other bytes under the same key are not taken for it', () => {
    const columns = new SpineColumns({ TRAINING_SET_COLUMN_CACHE_CELLS: 100 });
    columns.set(version(1), 'label', [0, 1, null]);
    expect(columns.get(version(1), 'label')).toEqual([0, 1, null]);
    expect(columns.get(version(1), 'other')).toBeUndefined();
    expect(columns.get(version(1, 'rewritten'), 'label')).toBeUndefined();
    expect(columns.get(version(2), 'label')).toBeUndefined();
  });

  it('holds at most its cells, letting the column used least recently go first', () => {
    const columns = new SpineColumns({ TRAINING_SET_COLUMN_CACHE_CELLS: 10 });
    columns.set(version(1), 'label', [1, 1, 1, 1]);
    columns.set(version(2), 'label', [2, 2, 2, 2]);
    // Version 1's column is used again, so version 2's is the oldest when room is needed.
    expect(columns.get(version(1), 'label')).toHaveLength(4);
    columns.set(version(3), 'label', [3, 3, 3, 3]);
    expect(columns.cells).toBe(8);
    expect(columns.get(version(2), 'label')).toBeUndefined();
    expect(columns.get(version(1), 'label')).toHaveLength(4);
    expect(columns.get(version(3), 'label')).toHaveLength(4);
    // Set again, a column replaces itself rather than counting twice.
    columns.set(version(3), 'label', [3, 3]);
    expect(columns.cells).toBe(6);
    // A column larger than the whole bound is not kept, and evicts nothing.
    columns.set(version(4), 'label', new Array(11).fill(4));
    expect(columns.get(version(4), 'label')).toBeUndefined();
    expect(columns.cells).toBe(6);
  });

  it('keeps nothing when its bound is 0', () => {
    const columns = new SpineColumns({ TRAINING_SET_COLUMN_CACHE_CELLS: 0 });
    columns.set(version(1), 'label', [1]);
    expect(columns.get(version(1), 'label')).toBeUndefined();
    expect(columns.cells).toBe(0);
  });
});
