import { startDeployerService } from './deployer.app';

startDeployerService(process.env, { handleSignals: true }).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
