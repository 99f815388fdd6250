import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { extname, join } from 'node:path';
import { type IngestionConfig } from '../ingestion.config';
import { type Contract } from './dataset-contract';
import { judgeRecords, packRecords, type PackedRecords, unpackRecord, type Verdicts } from './record-batch';
import { buildFromStaged, type StagedSlice, type StagedVersion } from './version-file';

export type ComputeTask =
  | { readonly kind: 'judge'; readonly contract: Contract; readonly packed: PackedRecords }
  | ({ readonly kind: 'build'; readonly contract: Contract } & StagedSlice);

/** What a task computes, on whichever thread runs it. */
export function runComputeTask(task: ComputeTask): Verdicts | StagedVersion {
  return task.kind === 'judge'
    ? judgeRecords(task.contract, task.packed.ends.length, (at) => unpackRecord(task.packed, at))
    : buildFromStaged(task.contract, task);
}

/** Buffers of a result that move back to the caller instead of being copied: a verdict's staged text. */
export function computeTransfer(result: Verdicts | StagedVersion): ArrayBuffer[] {
  return 'texts' in result ? [result.texts.buffer as ArrayBuffer] : [];
}

/**
 * The CPU-heavy part of ingestion: validating raw records and building a version's file
 * (parse, CSV, profile). Together they cost more than everything else the service does per
 * record, so they run beside the event loop that consumes, stages and commits.
 */
export abstract class IngestionCompute {
  /** Verdicts on JSON records (a Kafka batch's values), by position. */
  abstract judge(contract: Contract, values: ReadonlyArray<Buffer | null>): Promise<Verdicts>;
  abstract build(contract: Contract, slice: StagedSlice): Promise<StagedVersion>;
}

/** Runs ingestion's computations on `INGEST_COMPUTE_THREADS` worker threads (ingestion-compute.worker.ts). */
@Injectable()
export class WorkerIngestionCompute extends IngestionCompute implements OnModuleInit, OnModuleDestroy {
  private readonly tasks: WorkerTasks<ComputeTask, Verdicts | StagedVersion>;

  constructor(@InjectConfig() config: IngestionConfig) {
    super();
    const file = join(__dirname, `ingestion-compute.worker${extname(__filename)}`);
    this.tasks = new WorkerTasks(file, 'ingestion compute', config.INGEST_COMPUTE_THREADS);
  }

  onModuleInit(): void {
    this.tasks.warm();
  }

  onModuleDestroy(): Promise<void> {
    return this.tasks.close();
  }

  async judge(contract: Contract, values: ReadonlyArray<Buffer | null>): Promise<Verdicts> {
    const packed = packRecords(values);
    // The packed bytes move to the worker: a batch is copied once, into the pack.
    const transfer = [packed.bytes.buffer, packed.ends.buffer, packed.missing.buffer] as ArrayBuffer[];
    return (await this.tasks.run({ kind: 'judge', contract, packed }, transfer)) as Verdicts;
  }

  async build(contract: Contract, slice: StagedSlice): Promise<StagedVersion> {
    const built = (await this.tasks.run({ kind: 'build', contract, ...slice })) as StagedVersion;
    // The body crossed the thread boundary as a plain Uint8Array.
    const body = built.file.body as Uint8Array;
    return { ...built, file: { ...built.file, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) } };
  }
}

/** Runs ingestion's computations on the caller's thread (unit tests). */
export class InThreadIngestionCompute extends IngestionCompute {
  judge(contract: Contract, values: ReadonlyArray<Buffer | null>): Promise<Verdicts> {
    return Promise.resolve(runComputeTask({ kind: 'judge', contract, packed: packRecords(values) }) as Verdicts);
  }

  build(contract: Contract, slice: StagedSlice): Promise<StagedVersion> {
    return Promise.resolve(runComputeTask({ kind: 'build', contract, ...slice }) as StagedVersion);
  }
}
