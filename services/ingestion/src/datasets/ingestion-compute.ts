import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { extname, join } from 'node:path';
import { type IngestionConfig } from '../ingestion.config';
import { type Contract } from './dataset-contract';
import { judgeRecords, judgeRows, packRecords, type PackedRecords, type UndecodableRow, unpackRecord, type Verdicts } from './record-batch';
import { buildFromStaged, type StagedSlice, type StagedVersion } from './version-file';

export type ComputeTask =
  | { readonly kind: 'judge' | 'judge-rows'; readonly contract: Contract; readonly packed: PackedRecords }
  | ({ readonly kind: 'build'; readonly contract: Contract } & StagedSlice);

type ComputeResult = Verdicts | UndecodableRow | StagedVersion;

/** What a task computes, on whichever thread runs it. */
export function runComputeTask(task: ComputeTask): ComputeResult {
  switch (task.kind) {
    case 'judge':
      return judgeRecords(task.contract, task.packed.ends.length, (at) => unpackRecord(task.packed, at));
    case 'judge-rows':
      return judgeRows(task.contract, task.packed);
    case 'build':
      return buildFromStaged(task.contract, task);
  }
}

/**
 * Buffers of a result that move back to the caller instead of being copied: a verdict's staged
 * text, a version's file (written in memory of its own).
 */
export function computeTransfer(result: ComputeResult): ArrayBuffer[] {
  if ('texts' in result) return [result.texts.buffer as ArrayBuffer];
  if ('file' in result) return [result.file.body.buffer as ArrayBuffer];
  return [];
}

/** The buffers of packed records, which move to the thread that reads them: a batch is copied once, into the pack. */
function packedTransfer(packed: PackedRecords): ArrayBuffer[] {
  return [packed.bytes.buffer, packed.ends.buffer, packed.missing.buffer] as ArrayBuffer[];
}

/**
 * The CPU-heavy part of ingestion: validating raw records and building a version's file
 * (parse, CSV, profile). Together they cost more than everything else the service does per
 * record, so they run beside the event loop that consumes, stages and commits.
 */
export abstract class IngestionCompute {
  /** Verdicts on JSON records (a Kafka batch's values), by position. */
  abstract judge(contract: Contract, values: ReadonlyArray<Buffer | null>): Promise<Verdicts>;
  /** Verdicts on a gRPC batch's packed Row messages, by position (copied to the thread: rejected rows are read here again). */
  abstract judgeRows(contract: Contract, rows: PackedRecords): Promise<Verdicts | UndecodableRow>;
  /** A version from staged texts; those given as bytes must own their memory: they move to the thread. */
  abstract build(contract: Contract, slice: StagedSlice): Promise<StagedVersion>;
}

/** Runs ingestion's computations on `INGEST_COMPUTE_THREADS` worker threads (ingestion-compute.worker.ts). */
@Injectable()
export class WorkerIngestionCompute extends IngestionCompute implements OnModuleInit, OnModuleDestroy {
  private readonly tasks: WorkerTasks<ComputeTask, ComputeResult>;

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
    return (await this.tasks.run({ kind: 'judge', contract, packed }, { transfer: packedTransfer(packed) })) as Verdicts;
  }

  async judgeRows(contract: Contract, rows: PackedRecords): Promise<Verdicts | UndecodableRow> {
    return (await this.tasks.run({ kind: 'judge-rows', contract, packed: rows })) as Verdicts | UndecodableRow;
  }

  async build(contract: Contract, slice: StagedSlice): Promise<StagedVersion> {
    // Texts given as bytes move to the thread (they are the caller's own, in memory of their own).
    const transfer = slice.staged.flatMap((text) => (typeof text === 'string' ? [] : [text.buffer as ArrayBuffer]));
    const built = (await this.tasks.run({ kind: 'build', contract, ...slice }, { transfer })) as StagedVersion;
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

  judgeRows(contract: Contract, rows: PackedRecords): Promise<Verdicts | UndecodableRow> {
    return Promise.resolve(judgeRows(contract, rows));
  }

  build(contract: Contract, slice: StagedSlice): Promise<StagedVersion> {
    return Promise.resolve(runComputeTask({ kind: 'build', contract, ...slice }) as StagedVersion);
  }
}
