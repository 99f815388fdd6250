import { trainerV1 } from '@flywheel/contracts';
import { type GrpcClient } from '@flywheel/platform';
import { waitFor } from '@flywheel/testing';

/** The run once it has succeeded or failed, asked of the trainer until then. */
export async function runFinished(
  client: GrpcClient<trainerV1.TrainerServiceController>,
  runId: string,
  timeoutMs = 60_000,
): Promise<trainerV1.Run> {
  let run: trainerV1.Run | undefined;
  await waitFor(
    async () => {
      run = (await client.getRun({ runId })).run;
      return run?.status === trainerV1.RunStatus.RUN_STATUS_SUCCEEDED || run?.status === trainerV1.RunStatus.RUN_STATUS_FAILED;
    },
    timeoutMs,
    `run ${runId} to finish`,
  );
  return run!;
}
