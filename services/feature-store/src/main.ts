import { startFeatureStoreService } from './feature-store.app';

startFeatureStoreService(process.env).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
