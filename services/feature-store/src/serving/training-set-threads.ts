import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { extname, join } from 'node:path';
import { type CsvColumn, formatCsvColumns } from '@flywheel/ml';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { sha256Hex } from '@flywheel/storage';
import { type FeatureStoreConfig } from '../feature-store.config';

/** A training set's columns, to be written as CSV. */
export interface TrainingSetText {
  readonly header: readonly string[];
  readonly columns: readonly CsvColumn[];
}

/** A training set's CSV text with its sha256. */
export interface WrittenTrainingSet {
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** What a training-set thread does with one set (and a test may, without a thread). */
export function writeTrainingSet(set: TrainingSetText): WrittenTrainingSet {
  const bytes = Buffer.from(formatCsvColumns(set.header, set.columns), 'utf8');
  // A buffer of its own, so that it moves back to the event loop's thread whole.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
  return { bytes: own, sha256: sha256Hex(own) };
}

/**
 * Writes training sets as CSV on worker threads (training-set.worker.ts): a set of a million
 * rows is seconds of CPU that would otherwise stop the event loop serving online features, and
 * the loop profiles the set meanwhile. Threads start when first needed; TRAINING_SET_WORKERS of
 * them write that many sets at once, and TRAINING_SET_WORKER_HEAP_MB bounds each one's heap: a
 * set that outgrows it fails alone.
 */
@Injectable()
export class TrainingSetThreads implements OnModuleDestroy {
  private readonly tasks: WorkerTasks<TrainingSetText, WrittenTrainingSet>;

  constructor(@InjectConfig() config: FeatureStoreConfig) {
    const file = join(__dirname, `training-set.worker${extname(__filename)}`);
    this.tasks = new WorkerTasks(file, 'training set', config.TRAINING_SET_WORKERS, {
      maxOldGenerationSizeMb: config.TRAINING_SET_WORKER_HEAP_MB,
    });
  }

  onModuleDestroy(): Promise<void> {
    return this.tasks.close();
  }

  async write(set: TrainingSetText): Promise<{ bytes: Buffer; sha256: string }> {
    const { bytes, sha256 } = await this.tasks.run(set);
    return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), sha256 };
  }
}
