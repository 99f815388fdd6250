import { Inject, Injectable } from '@nestjs/common';
import { type ObjectChunk, ObjectStore, parseObjectKey, readObjectChunk } from '@flywheel/storage';
import { type RunArtifactRead } from './run-requests';
import { RunsException, RunsExceptionCode } from './runs.exception';
import { RunsService } from './runs.service';

/** A run's model artifact and holdout, read out in pieces (ReadRunArtifact). */
@Injectable()
export class RunArtifactsService {
  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
  ) {}

  async readChunk(read: RunArtifactRead): Promise<ObjectChunk> {
    const run = await this.runs.get(read.runId);
    const recorded = read.artifact === 'model' ? run.artifact : run.holdout?.data;
    if (!recorded)
      throw new RunsException(
        `run ${run.id} has no ${read.artifact === 'model' ? 'model artifact' : 'holdout'}: only a run that succeeded has one (this one is ${run.status.toLowerCase()})`,
        RunsExceptionCode.ARTIFACT_NOT_FOUND,
      );
    const object = { ...recorded, key: parseObjectKey(recorded.key) };
    return readObjectChunk(this.objects, object, read.offset, read.maxBytes);
  }
}
