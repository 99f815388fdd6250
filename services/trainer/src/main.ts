import 'reflect-metadata';
import { startTrainerService } from './trainer.app';

startTrainerService(process.env, { handleSignals: true }).catch((error: unknown) => {
  process.stderr.write(`trainer failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
