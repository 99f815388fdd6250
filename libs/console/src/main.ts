// The web console as a process of its own, as its image runs it: `node dist/libs/console/src/main.js`.
// `npm start` runs the same console inside the launcher instead (libs/devstack/launcher).
import { ConfigError, JsonLogger } from '@flywheel/platform';
import { consoleOptionsOf, loadConsoleConfig } from './console-config';
import { startConsole } from './server';

async function main(): Promise<void> {
  const config = loadConsoleConfig(process.env);
  const logger = new JsonLogger({ service: 'console' });
  const web = await startConsole(consoleOptionsOf(config));
  logger.log({ msg: `console listening on ${web.url}`, url: web.url });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    // A second signal does not wait for the first close.
    if (stopping) process.exit(1);
    stopping = true;
    logger.log({ msg: `console stopping (${signal})` });
    web.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ msg: `console did not close cleanly: ${error.message}` });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`console: ${error instanceof ConfigError ? error.message : (error.stack ?? error.message)}\n`);
  process.exit(1);
});
