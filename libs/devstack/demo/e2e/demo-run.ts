import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DriftDetectedEvent,
  type EventType,
  type monitorV1,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  TrainModelCommand,
  trainerV1,
} from '@flywheel/contracts';
import { SHIFTED_FEATURES, UNSHIFTED_FEATURES } from '../src/claims-generator';
import { type ScenarioResult } from '../src/closed-loop-scenario';
import { type StreamedEvent } from '../src/event-stream';

// `npm run demo` as the e2e suites run it, and how they read what it streamed.

const REPO_ROOT = resolve(__dirname, '../../../..');

/** `npm run demo` with flags, in its own process group; resolves its exit code (kills it after `timeoutMs`). */
export function runDemo(
  args: string[],
  output: string[],
  timeoutMs: number,
  onLine: (line: string, input: NodeJS.WritableStream) => void = () => undefined,
): Promise<number | null> {
  const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output.push(line);
    onLine(line, child.stdin!);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      output.push(`(killed after ${timeoutMs / 1000} s)`);
      process.kill(-child.pid!, 'SIGINT');
      setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 30_000).unref();
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

/**
 * Runs the demo with `--hold`: once the story is told, `whileHeld` looks at the platform it left
 * (the result so far in hand), then the demo is let go. Throws what `whileHeld` threw, after the
 * demo stopped.
 */
export async function demoWhileHeld(
  args: string[],
  output: string[],
  timeoutMs: number,
  whileHeld: (result: ScenarioResult) => Promise<void>,
): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-demo-e2e-'));
  const resultFile = join(dir, 'result.json');
  let looked: Promise<void> | undefined;
  let failure: unknown;
  try {
    const code = await runDemo([...args, '--hold', '--result-file', resultFile], output, timeoutMs, (line, input) => {
      if (!line.startsWith('holding:') || looked) return;
      looked = (async () => whileHeld(JSON.parse(readFileSync(resultFile, 'utf8')) as ScenarioResult))()
        .catch((error: unknown) => void (failure = error))
        .finally(() => input.end('\n'));
    });
    await looked;
    if (failure) throw failure;
    if (code !== 0) throw new Error(`npm run demo exited with ${code}:\n${output.join('\n')}`);
    return JSON.parse(readFileSync(resultFile, 'utf8')) as ScenarioResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the demo with `args` and reads back the result it wrote; throws with its output when it failed. */
export async function demoResult(args: string[], output: string[], timeoutMs: number): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-demo-e2e-'));
  const resultFile = join(dir, 'result.json');
  try {
    const code = await runDemo([...args, '--result-file', resultFile], output, timeoutMs);
    if (code !== 0) throw new Error(`npm run demo exited with ${code}:\n${output.join('\n')}`);
    return JSON.parse(readFileSync(resultFile, 'utf8')) as ScenarioResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Finding events in a result: the one event of a kind (anything else fails, with the demo's output), or one by id. */
export function resultEvents(result: () => ScenarioResult, output: readonly string[]) {
  return {
    only<T>(type: EventType<T>, where: (data: T, event: StreamedEvent<T>) => boolean, what: string): StreamedEvent<T> {
      const found = (result().events as StreamedEvent<T>[]).filter((e) => e.type === type.typeName && where(e.data, e));
      if (found.length !== 1) throw new Error(`expected exactly one ${what}, found ${found.length}\n${output.join('\n')}`);
      return found[0]!;
    },
    all<T>(type: EventType<T>, where: (data: T, event: StreamedEvent<T>) => boolean = () => true): StreamedEvent<T>[] {
      return (result().events as StreamedEvent<T>[]).filter((e) => e.type === type.typeName && where(e.data, e));
    },
    byId(id: string | null): StreamedEvent | undefined {
      return result().events.find((e) => e.id === id);
    },
  };
}

/**
 * The chain from the shift to the retraining, as every story has it: the drift event after the
 * shift that made the retraining policy act (on v1, on the shifted features only), the TrainModel
 * command of that decision, and the run that answered it. Each link names the one before as its cause.
 */
export function expectRetrainingOnDrift(result: ScenarioResult, events: ReturnType<typeof resultEvents>) {
  const { only, byId } = events;
  const acted = only(
    RetrainingDecidedEvent,
    (d) => d.decision?.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED,
    'retraining decision that acted',
  );
  const drift = byId(acted.causationId) as StreamedEvent<monitorV1.DriftDetected>;
  expect(drift.type).toBe(DriftDetectedEvent.typeName);
  expect(drift.receivedAt).toBeGreaterThanOrEqual(result.shiftAt);
  expect(drift.data.report!.modelVersion).toBe(1);
  expect(drift.data.report!.datasetDrift).toBe(true);
  const drifted = drift.data.driftedFeatures;
  expect(drifted).toEqual(expect.arrayContaining(['amount', 'channel']));
  for (const feature of drifted) expect(SHIFTED_FEATURES).toContain(feature);
  const verdicts = new Map(drift.data.report!.features.map((f) => [f.feature, f.drifted]));
  for (const feature of UNSHIFTED_FEATURES) expect(verdicts.get(feature)).toBe(false);

  // RetrainingDecided and TrainModel both answer the drift; the run answers the command.
  const command = only(TrainModelCommand, (c) => c.decisionId === acted.data.decision!.decisionId, 'TrainModel of the decision');
  expect(command.causationId).toBe(drift.id);
  expect(command.data.trigger).toBe(trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY);
  const run = only(RunCompletedEvent, (r) => r.trigger === trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY, 'policy-triggered run');
  expect(run.causationId).toBe(command.id);
  expect(run.data.runId).toBe(acted.data.decision!.runId);
  return { acted, drift, command, run };
}
