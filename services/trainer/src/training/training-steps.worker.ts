// The training threads' side (TrainingThreads): each task is one step of training-steps.ts. A
// refusal comes back as a value, so its failure class survives the thread boundary.
import { serveWorkerTasks } from '@flywheel/platform';
import { type TrainingReply, type TrainingTask } from './training-threads';
import { fitOne, prepareTrainingData, scoreHoldout, TrainingFailure } from './training-steps';

function run(task: TrainingTask): TrainingReply {
  try {
    switch (task.kind) {
      case 'prepare':
        return { kind: 'prepared', result: prepareTrainingData(task.input) };
      case 'fit':
        return { kind: 'fitted', result: fitOne(task.input) };
      case 'score':
        return { kind: 'scored', result: scoreHoldout(task.input) };
    }
  } catch (error) {
    if (error instanceof TrainingFailure) return { kind: 'failure', code: error.code, message: error.message };
    throw error;
  }
}

serveWorkerTasks(
  run,
  (reply) => (reply.kind === 'scored' ? [reply.result.artifactJson.buffer, reply.result.holdoutCsv.buffer] : []) as ArrayBuffer[],
);
