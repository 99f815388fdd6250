import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { extname, join } from 'node:path';
import { type commonV1, type ProfiledColumn, profileColumns } from '@flywheel/contracts';
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

/** What a training-set thread is asked: the text of one part of a set, or the profiles of some of its columns. */
export type TrainingSetTask =
  | { readonly kind: 'text'; readonly part: TrainingSetPart }
  | { readonly kind: 'profile'; readonly rowCount: number; readonly columns: readonly ProfiledColumn[] };

/** A text task's UTF-8 bytes; a profile task's column profiles, in the order asked. */
export type TrainingSetTaskResult = Uint8Array | commonV1.ColumnProfile[];

/** What a training-set thread does with a task (and a test may, without a thread). */
export function runTrainingSetTask(task: TrainingSetTask): TrainingSetTaskResult {
  if (task.kind === 'profile') return profileColumns(task.rowCount, task.columns).columns;
  const { header, columns, withHeader, rowOffset } = task.part;
  // In memory of its own: it moves back to the event loop's thread whole.
  return writeCsvColumns(header, columns, { withHeader, rowOffset });
}

/** Fewest rows a thread is given a part of a set for: below two of them, one thread writes it all. */
const MIN_PART_ROWS = 10_000;

/**
 * Writes training sets as CSV and profiles them on worker threads (training-set.worker.ts): a
 * set of a million rows is seconds of CPU that would otherwise stop the event loop serving
 * online features and sending the set to the object store. A large set is cut into as many
 * parts of its rows as there are threads, written side by side and joined; its columns are
 * shared out among the threads to be profiled. Threads start when first needed;
 * TRAINING_SET_WORKERS of them write at once, and TRAINING_SET_WORKER_HEAP_MB bounds each one's
 * heap: a set that outgrows it fails alone.
 */
@Injectable()
export class TrainingSetThreads implements OnModuleDestroy {
  private readonly tasks: WorkerTasks<TrainingSetTask, TrainingSetTaskResult>;
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
        const part = (await this.tasks.run({
          kind: 'text',
          part: { header: set.header, columns, withHeader: k === 0, rowOffset: from },
        })) as Uint8Array;
        written[k] = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        while (written[hashed]) hash.update(written[hashed++]);
      }),
    );
    return { bytes: written.length === 1 ? written[0] : Buffer.concat(written), sha256: hash.digest('hex') };
  }

  /**
   * A set's profile, its columns shared out among the threads: a thread takes the heaviest
   * column left (text before numbers: hashing strings costs the most) while it has the least
   * to do. Asked after {@link write}, the profiles wait for the text's threads, so the two do
   * not share the cores three ways.
   */
  async profile(rowCount: number, columns: readonly ProfiledColumn[]): Promise<commonV1.DataProfile> {
    const groups = shareColumns(columns, this.threads);
    const profiled = await Promise.all(
      groups.map(
        (group) =>
          this.tasks.run({ kind: 'profile', rowCount, columns: group.map((j) => columns[j]) }) as Promise<commonV1.ColumnProfile[]>,
      ),
    );
    const profiles = new Array<commonV1.ColumnProfile>(columns.length);
    groups.forEach((group, g) => group.forEach((j, k) => (profiles[j] = profiled[g][k])));
    return { rowCount, columns: profiles };
  }
}

/** Column indexes in at most `threads` groups of about equal work, none empty. */
export function shareColumns(columns: readonly ProfiledColumn[], threads: number): number[][] {
  // Text counted value by value weighs twice a number; a coded column, counted by code, as numbers do.
  const weight = (j: number) => {
    const { values } = columns[j];
    return values instanceof Float64Array ? values.length : 'codes' in values ? values.codes.length : 2 * values.length;
  };
  const heaviestFirst = columns.map((_, j) => j).sort((a, b) => weight(b) - weight(a) || a - b);
  const groups = Array.from({ length: Math.min(threads, columns.length) }, () => ({ load: 0, columns: [] as number[] }));
  for (const j of heaviestFirst) {
    const lightest = groups.reduce((least, group) => (group.load < least.load ? group : least));
    lightest.columns.push(j);
    lightest.load += weight(j);
  }
  return groups.map((group) => group.columns.sort((a, b) => a - b));
}
