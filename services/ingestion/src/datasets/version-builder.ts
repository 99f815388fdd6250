import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { type IngestionConfig } from '../ingestion.config';
import { extname, join } from 'node:path';
import { type Contract } from './dataset-contract';
import { buildFromStaged, type StagedSlice, type StagedVersion } from './version-file';

export interface VersionBuildTask extends StagedSlice {
  readonly contract: Contract;
}

/**
 * Builds a version's file and profile from staged batches. Parsing, the CSV and the profile
 * cost about as much as validating the records did, so they run beside the consumers, not on
 * their event loop.
 */
export abstract class VersionBuilder {
  abstract build(task: VersionBuildTask): Promise<StagedVersion>;
}

/** Builds versions on worker threads (version-builder.worker.ts), several at once. */
@Injectable()
export class WorkerVersionBuilder extends VersionBuilder implements OnModuleInit, OnModuleDestroy {
  private readonly tasks: WorkerTasks<VersionBuildTask, StagedVersion>;

  constructor(@InjectConfig() config: IngestionConfig) {
    super();
    this.tasks = new WorkerTasks(
      join(__dirname, `version-builder.worker${extname(__filename)}`),
      'version builder',
      config.INGEST_VERSION_THREADS,
    );
  }

  onModuleInit(): void {
    this.tasks.warm();
  }

  onModuleDestroy(): Promise<void> {
    return this.tasks.close();
  }

  async build(task: VersionBuildTask): Promise<StagedVersion> {
    const built = await this.tasks.run(task);
    // The body crossed the thread boundary as a plain Uint8Array.
    const body = built.file.body as Uint8Array;
    return { ...built, file: { ...built.file, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) } };
  }
}

/** Builds versions on the caller's thread (unit tests). */
export class InThreadVersionBuilder extends VersionBuilder {
  build(task: VersionBuildTask): Promise<StagedVersion> {
    return Promise.resolve(buildFromStaged(task.contract, task));
  }
}
