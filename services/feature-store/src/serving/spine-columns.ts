import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@flywheel/platform';
import { type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { type FeatureStoreConfig } from '../feature-store.config';
import { type StoredValue } from '../feature-views/feature-values';

/**
 * The columns dataset spines carry (a label, say), per version object and column. A version's
 * object never changes (it is checked against its sha256), so a retraining over versions read
 * before takes their columns from here instead of fetching and parsing the objects again.
 * Bounded by the cells held (TRAINING_SET_COLUMN_CACHE_CELLS; 0 keeps none): the column used
 * least recently goes first.
 */
@Injectable()
export class SpineColumns {
  // A Map keeps insertion order: a column read is moved to the end, so the first is the oldest.
  private readonly columns = new Map<string, readonly StoredValue[]>();
  private held = 0;
  private readonly maxCells: number;

  constructor(@InjectConfig() config: Pick<FeatureStoreConfig, 'TRAINING_SET_COLUMN_CACHE_CELLS'>) {
    this.maxCells = config.TRAINING_SET_COLUMN_CACHE_CELLS;
  }

  /** Cells held. */
  get cells(): number {
    return this.held;
  }

  /** A version's column, every row of it, when kept. */
  get(version: DatasetVersionRecord, column: string): readonly StoredValue[] | undefined {
    const key = keyOf(version, column);
    const values = this.columns.get(key);
    if (values) {
      this.columns.delete(key);
      this.columns.set(key, values);
    }
    return values;
  }

  /** Keeps a version's column (every row of it) unless it alone is more than the bound. */
  set(version: DatasetVersionRecord, column: string, values: readonly StoredValue[]): void {
    if (values.length > this.maxCells) return;
    const key = keyOf(version, column);
    const before = this.columns.get(key);
    if (before) {
      this.columns.delete(key);
      this.held -= before.length;
    }
    this.columns.set(key, values);
    this.held += values.length;
    for (const [oldest, kept] of this.columns) {
      if (this.held <= this.maxCells) break;
      this.columns.delete(oldest);
      this.held -= kept.length;
    }
  }
}

/** The object's sha256 says which bytes; the key, which object of the store. */
function keyOf(version: DatasetVersionRecord, column: string): string {
  return `${version.objectSha256}\u0000${version.objectKey}\u0000${column}`;
}
