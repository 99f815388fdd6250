import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { extname, join } from 'node:path';
import { CompactModel, type CompactModelParts } from '@flywheel/ml';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { ArtifactRejectedError } from './artifact-rejected.error';

/** Turns an artifact's bytes into a model ready to predict, or rejects them (ArtifactRejectedError). */
export abstract class ArtifactParser {
  abstract parse(bytes: Uint8Array): Promise<CompactModel>;
}

/**
 * Parses and checks artifacts on a worker thread (artifact-parser.worker.ts) under a heap of
 * MODEL_ARTIFACT_WORKER_HEAP_MB: a big or hostile artifact costs that thread its time and
 * memory, never the event loop that serves predictions and health. The bytes move to the
 * thread; the model's typed arrays move back and the model is rebuilt around them here.
 */
@Injectable()
export class WorkerArtifactParser extends ArtifactParser implements OnModuleInit, OnModuleDestroy {
  private readonly tasks: WorkerTasks<Uint8Array, CompactModelParts>;
  /** One artifact at a time: a thread that dies takes down only the artifact that killed it. */
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;

  constructor(@InjectConfig() config: DeployerConfig) {
    super();
    const file = join(__dirname, `artifact-parser.worker${extname(__filename)}`);
    this.tasks = new WorkerTasks(file, 'model artifact parser', 1, { maxOldGenerationSizeMb: config.MODEL_ARTIFACT_WORKER_HEAP_MB });
  }

  onModuleInit(): void {
    this.tasks.warm();
  }

  onModuleDestroy(): Promise<void> {
    this.closing = true;
    return this.tasks.close();
  }

  parse(bytes: Uint8Array): Promise<CompactModel> {
    const parsed = this.queue.then(() => this.parseNow(bytes));
    this.queue = parsed.catch(() => undefined);
    return parsed;
  }

  private async parseNow(bytes: Uint8Array): Promise<CompactModel> {
    const own = ownBuffer(bytes);
    let parts: CompactModelParts;
    try {
      parts = await this.tasks.run(own, { transfer: [own.buffer as ArrayBuffer] });
    } catch (error) {
      // Shutting down is no verdict on the artifact.
      if (this.closing) throw error;
      throw new ArtifactRejectedError((error as Error).message);
    }
    return new CompactModel(parts);
  }
}

/** `bytes` in a buffer of their own: a slice of a shared pool must not be moved away from it. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
