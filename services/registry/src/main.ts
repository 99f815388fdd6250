import { startRegistryService } from './registry.app';

startRegistryService(process.env).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
