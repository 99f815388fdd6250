// `npm run demo`: the closed loop on an insurance-claims fraud scenario, on a platform of its own.
import { writeFileSync } from 'node:fs';
import { ClosedLoopScenario, ScenarioFailure, type ScenarioResult } from './closed-loop-scenario';
import { parseOptions, usage } from './scenario-options';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Resolves at the first line on `input`, or when it ends. */
function endOfLine(input: NodeJS.ReadStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      input.off('data', onData).off('end', done);
      input.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => chunk.includes(10) && done();
    input.on('data', onData).once('end', done);
  });
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    say(usage());
    return 0;
  }
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    say((error as Error).message);
    return 2;
  }
  say('Flywheel closed-loop demo: insurance claims, fraud model, a shift in the world, and the platform catching up.\n');
  say('TIMELINE');
  try {
    const scenario = new ClosedLoopScenario(options, say);
    process.on('SIGINT', () => {
      say('\ninterrupted: stopping the platform');
      scenario.abort();
    });
    const writeResult = (result: ScenarioResult) => options.resultFile && writeFileSync(options.resultFile, JSON.stringify(result));
    const result = await scenario.run(
      options.hold
        ? async (platform, story) => {
            writeResult(story);
            say(`\nholding: the platform and its console (${platform.consoleUrl}) stay up; press Enter to stop them`);
            await endOfLine(process.stdin);
          }
        : undefined,
    );
    writeResult(result);
    say('\nSUMMARY');
    for (const line of result.summary) say(`  ${line}`);
    return 0;
  } catch (error) {
    if (error instanceof ScenarioFailure) {
      say(`\nDEMO FAILED: ${error.message}`);
      for (const [service, tail] of Object.entries(error.logs))
        say(`\n--- last lines of ${service}'s log (${error.dataDir}/logs/${service}.log)\n${tail}`);
      say(`\nThe data folder is kept for inspection: ${error.dataDir}`);
    } else {
      say(`\nDEMO FAILED: ${(error as Error).stack ?? String(error)}`);
    }
    return 1;
  }
}

void main().then((code) => process.exit(code));
