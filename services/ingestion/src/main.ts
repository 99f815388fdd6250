import { startIngestionService } from './ingestion.app';

startIngestionService(process.env).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
