import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AliasMovedEvent,
  commonV1,
  DeploymentChangedEvent,
  deployerV1,
  DriftDetectedEvent,
  RunCompletedEvent,
  Topics,
} from '@flywheel/contracts';
import { removeDataFolder, SERVICES, type ServiceName } from '@flywheel/embedded-platform';
import { type Claim, ClaimsGenerator } from './claims-generator';
import { ClaimTraffic, type ServedPrediction } from './claim-traffic';
import { StepTimeout, type StreamedEvent } from './event-stream';
import { importChampion } from './imported-champion';
import { checkShiftProgress, failOnRunFailure, missingStep, refusedChallenger, rolloutOutcome, waitCommitted } from './loop-progress';
import { DATASET, FEATURE_VIEW, MODEL, type ScenarioOptions } from './scenario-options';
import { ScenarioPlatform } from './scenario-platform';
import { type AccuracyFigure, accuracyOf, accuracyTable, fmt, type StoryOutcome, summarise } from './scenario-report';
import { modelSpec, registerScenarioResources } from './scenario-resources';
import { Timeline } from './timeline';

export { type Phase, type ServedPrediction } from './claim-traffic';
export { type AccuracyFigure } from './scenario-report';

export interface ScenarioResult {
  dataDir: string;
  events: StreamedEvent[];
  predictions: ServedPrediction[];
  accuracy: AccuracyFigure[];
  malformedSent: number;
  validClaimsSent: number;
  /** Epoch ms of the first shifted claim, of the first drift event after it, and of the full rollout. */
  shiftAt: number;
  driftAt: number;
  rolledOutAt: number;
  summary: string[];
  /** Where the platform the story ran on listened, for tools that look at it while it is held. */
  platform: HeldPlatform;
}

export interface HeldPlatform {
  consoleUrl: string;
  /** The API tokens file the services reread (tests issue read and promote tokens into it). */
  tokensFile: string;
  adminTokenFile: string;
  registry: string;
  deployer: string;
}

/** The platform after steps 1–3, and the claims it was trained on (their ids are the online store's entities). */
export interface FirstVersionServed {
  platform: ScenarioPlatform;
  history: readonly Claim[];
}

/** The scenario failed: what it was waiting for, and the end of the logs of the services concerned. */
export class ScenarioFailure extends Error {
  constructor(
    message: string,
    readonly logs: Record<string, string>,
    readonly dataDir: string,
  ) {
    super(message);
    this.name = 'ScenarioFailure';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The closed loop, end to end, on a platform of its own (see ScenarioPlatform). Everything the
 * scenario learns about the platform it reads from the platform's events; everything it does goes
 * through the public contracts (gRPC, the raw ingest topic, the feedback topic). `play` tells the
 * story as named steps, each taking what it needs and returning what the next one uses.
 */
export class ClosedLoopScenario {
  readonly dataDir: string;
  private readonly ownsDataDir: boolean;
  private readonly timeline: Timeline;
  private readonly generator: ClaimsGenerator;
  private readonly platform: ScenarioPlatform;
  private aborted = false;
  private history: readonly Claim[] = [];

  constructor(
    private readonly options: ScenarioOptions,
    write: (line: string) => void,
  ) {
    this.timeline = new Timeline(write);
    this.generator = new ClaimsGenerator(options.seed);
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flywheel-demo-'));
    this.platform = new ScenarioPlatform(options, this.dataDir, this.timeline);
  }

  /**
   * Plays the story; throws `ScenarioFailure` with the relevant logs when a step does not happen.
   * `afterStory` runs on the platform as the story left it, before it stops (tests look at it
   * from outside, e.g. through the console).
   */
  async run(afterStory?: (platform: ScenarioPlatform, result: ScenarioResult) => Promise<void>): Promise<ScenarioResult> {
    let ok = false;
    try {
      const traffic = await this.firstVersionServed();
      const result = await this.playOn(traffic);
      await afterStory?.(this.platform, result);
      ok = true;
      return result;
    } catch (error) {
      throw this.failure(error);
    } finally {
      await this.stop(ok);
    }
  }

  /**
   * Steps 1–3 only, and the platform left running for the caller (benchmarks of serving start
   * from here): v1 deployed, the historical claims committed and their features materialised.
   * `stop` ends it.
   */
  async serveFirstVersion(): Promise<FirstVersionServed> {
    try {
      await this.firstVersionServed();
      return { platform: this.platform, history: this.history };
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Stops the platform; its data folder goes unless a step failed or it is to be kept. */
  async stop(succeeded = true): Promise<void> {
    await this.platform.stop();
    if (succeeded && this.ownsDataDir && !this.options.keepData) removeDataFolder(this.dataDir);
  }

  /** Stops the scenario at its next step (Ctrl-C). */
  abort(): void {
    this.aborted = true;
  }

  private async firstVersionServed(): Promise<ClaimTraffic> {
    await this.platform.start();
    const traffic = new ClaimTraffic({
      claimsPerSecond: this.options.claimsPerSecond,
      generator: this.generator,
      producer: this.platform.producer,
      deployer: this.platform.clients.deployer,
      timeline: this.timeline,
      guard: this.guard,
    });
    await this.registerResources();
    await this.streamHistory(traffic);
    if (this.options.importedChampion) await this.importFirstVersion();
    else await this.trainFirstVersion();
    await this.firstVersionDeployed();
    return traffic;
  }

  private async playOn(traffic: ClaimTraffic): Promise<ScenarioResult> {
    await this.serveBeforeShift(traffic);
    const outcome = await this.shiftUntilRolledOut(traffic);
    if (outcome.ending === 'rolled-out') await this.measureRecovery(traffic, outcome.newVersion);
    else {
      await traffic.deliverLabels();
      this.timeline.flushCommits();
    }
    return this.result(traffic, outcome);
  }

  // ---------------------------------------------------------------- the story, step by step

  /** 1. The dataset with its data contract, the feature view, and the demo's short policies. */
  private async registerResources(): Promise<void> {
    this.timeline.step(
      `registering dataset "${DATASET}" with its data contract, feature view "${FEATURE_VIEW}", model "${MODEL}" and its policies`,
    );
    await registerScenarioResources(this.platform.clients, this.options, this.timeline);
  }

  /** 2. History: labelled claims through Kafka, with records that break the contract. */
  private async streamHistory(traffic: ClaimTraffic): Promise<void> {
    const o = this.options;
    const generator = this.generator;
    const backfillStart = Date.now() - 3_600_000;
    const spacing = 3_600_000 / o.backfillClaims;
    const history = Array.from({ length: o.backfillClaims }, (_, i) => generator.next('before', new Date(backfillStart + i * spacing)));
    this.history = history;
    const malformed = generator.malformed(new Date());
    this.timeline.step(
      `streaming ${history.length} historical claims to ${Topics.ingestTopic(DATASET)} with kafkajs, and ${malformed.length} malformed records`,
    );
    const half = Math.floor(history.length / 2);
    await traffic.produceClaims(history.slice(0, half));
    await traffic.produceRaw(malformed);
    await traffic.produceClaims(history.slice(half));
    await waitCommitted(
      this.platform.events,
      { rows: history.length, quarantined: malformed.length, services: ['ingestion', 'feature-store'], timeoutMs: o.stepTimeoutMs },
      this.guard,
    );
  }

  /** 3. v1: trained on request (then made production by the registry and served by the deployer). */
  private async trainFirstVersion(): Promise<void> {
    const o = this.options;
    const events = this.platform.events;
    this.timeline.step(`training v1 (logistic regression on feature view "${FEATURE_VIEW}", holdout = most recent 20%)`);
    const submitted = await this.platform.clients.trainer.submitTraining({ spec: modelSpec(o.seed, null), requestId: `demo-v1-${o.seed}` });
    const runId = submitted.run?.runId ?? '';
    await events.waitFor(
      RunCompletedEvent,
      (r) => r.runId === runId,
      o.stepTimeoutMs,
      `run ${runId} of v1 to complete [trainer, feature-store]`,
      () => failOnRunFailure(events, runId, this.guard),
    );
  }

  /**
   * 3, imported instead: v1 fitted outside the platform on the same historical claims (a
   * logistic regression here, in this process), exported as ONNX and imported with its own
   * holdout of unshifted claims; the registry scores it with onnxruntime and makes it production.
   */
  private async importFirstVersion(): Promise<void> {
    this.timeline.step(
      `importing v1: a logistic regression fitted outside the platform on the ${this.history.length} historical claims, as an ONNX graph`,
    );
    const imported = await importChampion(this.platform.clients.registry, this.history, this.options.seed);
    const version = imported.response.version;
    this.timeline.note(
      `ImportModelVersion: ${imported.onnxBytes} bytes of ONNX and ${imported.holdoutRows} holdout claims → v${version?.version} ` +
        `(${commonV1.Algorithm[version?.algorithm ?? 0]}), holdout accuracy ${fmt(version?.metrics.accuracy)}, promotion ${imported.response.promotion}`,
    );
  }

  /** v1, trained or imported, made production by the registry and served by the deployer. */
  private async firstVersionDeployed(): Promise<void> {
    const o = this.options;
    const events = this.platform.events;
    await events.waitFor(
      AliasMovedEvent,
      (a) => a.modelName === MODEL && a.alias === 'production' && a.toVersion === 1,
      o.stepTimeoutMs,
      'v1 to become production (registry)',
      this.pause,
    );
    await events.waitFor(
      DeploymentChangedEvent,
      (c) => c.deployment === MODEL && c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY && c.toVersion === 1,
      o.stepTimeoutMs,
      'v1 to be deployed (deployer)',
      this.pause,
    );
  }

  /** 4. Live traffic in the old world: predictions now, labels (and the labelled claims) later. */
  private async serveBeforeShift(traffic: ClaimTraffic): Promise<void> {
    const o = this.options;
    this.timeline.step(
      `serving live claims: ${o.beforeShiftClaims} at ${o.claimsPerSecond}/s through Predict; labels follow on ${Topics.feedback} a second later`,
    );
    await traffic.live('before', 'before-shift', () => false, o.beforeShiftClaims);
    this.timeline.note(`v1 live accuracy before the shift: ${fmt(accuracyOf(traffic.predictions, 'before-shift', 1))}`);
  }

  /**
   * 5. The shift: the feature distributions and the relation between features and label change;
   * shifted traffic flows until the deployer rolls the retrained version out (or back).
   */
  private async shiftUntilRolledOut(traffic: ClaimTraffic): Promise<StoryOutcome> {
    const o = this.options;
    const events = this.platform.events;
    const shiftAt = Date.now();
    this.timeline.step('SHIFT: claims move online and double in amount; fraud is now young claimants online, whatever the amount');
    // With an imported champion, the platform keeping it (the registry refusing the challenger,
    // or the deployer rolling its canary back) is an outcome of the story, not a failure.
    const refusalEnds = o.importedChampion;
    const refused = () => (refusalEnds ? refusedChallenger(events, shiftAt) : null);
    const closed = () => rolloutOutcome(events) !== null || refused() !== null;
    await traffic.live('after', 'after-shift', closed, o.maxShiftClaims, () =>
      checkShiftProgress(events, shiftAt, o.stepTimeoutMs, refusalEnds),
    );
    const kept = rolloutOutcome(events) === null ? refused() : null;
    if (kept) {
      this.timeline.note(`the registry kept the imported v${kept.data.championVersion}: ${kept.data.reasons.join('; ')}`);
      return { shiftAt, rolledOutAt: Number.NaN, newVersion: kept.data.challengerVersion, ending: 'refused' };
    }
    const outcome = rolloutOutcome(events);
    if (outcome === null) throw new StepTimeout(missingStep(events, shiftAt).step, Date.now() - shiftAt);
    if (outcome.data.change !== deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED) {
      if (!o.importedChampion) throw new Error(`the new version was rolled back instead of rolled out: ${outcome.data.reason}`);
      const newVersion = outcome.data.canary?.version ?? 0;
      return { shiftAt, rolledOutAt: outcome.receivedAt, newVersion, ending: 'rolled-back' };
    }
    return { shiftAt, rolledOutAt: outcome.receivedAt, newVersion: outcome.data.toVersion, ending: 'rolled-out' };
  }

  /** 6. Recovery: the new version answers everything. */
  private async measureRecovery(traffic: ClaimTraffic, newVersion: number): Promise<void> {
    this.timeline.step(`v${newVersion} serves all traffic; ${this.options.afterRolloutClaims} more claims to measure the recovery`);
    await traffic.live('after', 'recovered', () => false, this.options.afterRolloutClaims);
    await traffic.deliverLabels();
    this.timeline.flushCommits();
  }

  private result(traffic: ClaimTraffic, outcome: StoryOutcome): ScenarioResult {
    const events = this.platform.events;
    const drift = events.ofType(DriftDetectedEvent, (_d, e) => e.receivedAt >= outcome.shiftAt)[0];
    return {
      dataDir: this.dataDir,
      events: [...events.events],
      predictions: [...traffic.predictions],
      accuracy: accuracyTable(traffic.predictions),
      malformedSent: traffic.malformedSent,
      validClaimsSent: traffic.validClaimsSent,
      shiftAt: outcome.shiftAt,
      driftAt: drift?.receivedAt ?? Number.NaN,
      rolledOutAt: outcome.rolledOutAt,
      summary: summarise(events, outcome, traffic),
      platform: this.platform.whereItListens(),
    };
  }

  // ---------------------------------------------------------------- stopping early

  private readonly guard = (): void => {
    if (this.aborted) throw new Error('interrupted');
    const crashed = this.platform.crashed;
    if (crashed) throw new Error(`${crashed.service} ${crashed.reason}`);
  };

  private readonly pause = async (): Promise<void> => {
    this.guard();
    await sleep(100);
  };

  private failure(error: unknown): ScenarioFailure {
    const logs: Record<string, string> = {};
    const crashed = this.platform.crashed;
    let services: ServiceName[] = [...SERVICES];
    if (crashed) services = [crashed.service as ServiceName];
    else if (error instanceof StepTimeout) {
      const named = SERVICES.filter((s) => error.step.includes(s));
      services =
        named.length > 0 ? named : this.platform.following ? missingStep(this.platform.events, Date.now()).services : [...SERVICES];
    }
    for (const service of services) {
      const tail = this.platform.logTail(service, 25);
      if (tail !== undefined) logs[service] = tail;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ScenarioFailure(message, logs, this.dataDir);
  }
}
