import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { extname, join } from 'node:path';
import { type CsvColumn, csvColumnLength, sliceCsvColumn, writeCsvColumns } from '@flywheel/ml';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { type FeatureStoreConfig } from '../feature-store.config';

/** A training set's columns, to be written as CSV. */
export interface TrainingSetText {
  readonly header: readonly string[];
  readonly columns: readonly CsvColumn[];
}

/** Rows of a set that one thread writes: the text of rows `rowOffset …`, with the header line when first. */
export interface TrainingSetPart extends TrainingSetText {
  readonly withHeader: boolean;
  readonly rowOffset: number;
}

/** A training set's CSV text with its sha256. */
export interface WrittenTrainingSet {
  readonly bytes: Buffer;
  readonly sha256: string;
}

/** What a training-set thread does with one part of a set (and a test may, without a thread): its UTF-8 text. */
export function writeTrainingSetPart({ header, columns, withHeader, rowOffset }: TrainingSetPart): Uint8Array {
  // In memory of its own: it moves back to the event loop's thread whole.
  return writeCsvColumns(header, columns, { withHeader, rowOffset });
}

/** Fewest rows a thread is given a part of a set for: below two of them, one thread writes it all. */
const MIN_PART_ROWS = 10_000;

/**
 * Writes training sets as CSV on worker threads (training-set.worker.ts): a set of a million
 * rows is seconds of CPU that would otherwise stop the event loop serving online features, and
 * the loop profiles the set meanwhile. A large set is cut into as many parts of its rows as there
 * are threads, written side by side and joined. Threads start when first needed;
 * TRAINING_SET_WORKERS of them write at once, and TRAINING_SET_WORKER_HEAP_MB bounds each one's
 * heap: a set that outgrows it fails alone.
 */
@Injectable()
export class TrainingSetThreads implements OnModuleDestroy {
  private readonly tasks: WorkerTasks<TrainingSetPart, Uint8Array>;
  private readonly threads: number;
  protected readonly minPartRows: number = MIN_PART_ROWS;

  constructor(@InjectConfig() config: FeatureStoreConfig) {
    const file = join(__dirname, `training-set.worker${extname(__filename)}`);
    this.threads = config.TRAINING_SET_WORKERS;
    this.tasks = new WorkerTasks(file, 'training set', config.TRAINING_SET_WORKERS, {
      maxOldGenerationSizeMb: config.TRAINING_SET_WORKER_HEAP_MB,
    });
  }

  onModuleDestroy(): Promise<void> {
    return this.tasks.close();
  }

  async write(set: TrainingSetText): Promise<WrittenTrainingSet> {
    const nRows = set.columns.length ? csvColumnLength(set.columns[0]) : 0;
    const parts = Math.max(1, Math.min(this.threads, Math.floor(nRows / this.minPartRows)));
    // Each part is hashed as soon as it and the parts before it are back, while later ones are
    // still being written.
    const hash = createHash('sha256');
    const written: Buffer[] = [];
    let hashed = 0;
    await Promise.all(
      Array.from({ length: parts }, async (_, k) => {
        const from = Math.floor((k * nRows) / parts);
        const to = Math.floor(((k + 1) * nRows) / parts);
        const columns = parts === 1 ? set.columns : set.columns.map((c) => sliceCsvColumn(c, from, to));
        const part = await this.tasks.run({ header: set.header, columns, withHeader: k === 0, rowOffset: from });
        written[k] = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        while (written[hashed]) hash.update(written[hashed++]);
      }),
    );
    return { bytes: written.length === 1 ? written[0] : Buffer.concat(written), sha256: hash.digest('hex') };
  }
}
