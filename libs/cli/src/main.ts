// Entry point of the `flywheel` bin (see bin/flywheel.js).
import { runCli } from './cli';
import { flywheel } from './commands';

// A reader that goes away (`flywheel … | head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

void runCli(flywheel, process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTerminal: process.stdout.isTTY === true,
}).then((code) => {
  // Set rather than exit, so buffered output to pipes is flushed first.
  process.exitCode = code;
});
