import { randomUUID } from 'node:crypto';
import { type Producer } from 'kafkajs';
import { deployerV1, encodeEvent, FeedbackEvent, Topics } from '@flywheel/contracts';
import { type GrpcClient } from '@flywheel/platform';
import { type Claim, claimFeatures, type ClaimsGenerator, type Regime } from './claims-generator';
import { DATASET, MODEL } from './scenario-options';
import { type Timeline, toValue } from './timeline';

/** Which part of the story a prediction belongs to. */
export type Phase = 'before-shift' | 'after-shift' | 'recovered';

export interface ServedPrediction {
  claimId: string;
  phase: Phase;
  version: number;
  canary: boolean;
  correct: boolean;
}

export interface ClaimTrafficOptions {
  claimsPerSecond: number;
  generator: ClaimsGenerator;
  producer: Producer;
  deployer: GrpcClient<deployerV1.DeployerServiceController>;
  timeline: Timeline;
  /** Called before each tick of live traffic; throws to stop the scenario (a crash, Ctrl-C). */
  guard: () => void;
}

const TICK_MS = 1000;
const PREDICT_CONCURRENCY = 16;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Everything the scenario sends the platform: claims on the raw ingest topic, Predict calls for
 * live claims, and their labels a tick later; with what came back (the served predictions) and
 * what was sent.
 */
export class ClaimTraffic {
  private readonly served: ServedPrediction[] = [];
  private labelsDue: Claim[] = [];
  private errors = 0;
  private lastError = '';
  private validSent = 0;
  private malformedSentCount = 0;

  constructor(private readonly options: ClaimTrafficOptions) {}

  get predictions(): readonly ServedPrediction[] {
    return this.served;
  }

  get validClaimsSent(): number {
    return this.validSent;
  }

  get malformedSent(): number {
    return this.malformedSentCount;
  }

  get predictErrors(): { count: number; last: string } {
    return { count: this.errors, last: this.lastError };
  }

  async produceClaims(claims: readonly Claim[]): Promise<void> {
    for (let i = 0; i < claims.length; i += 500) {
      const chunk = claims.slice(i, i + 500);
      await this.options.producer.send({
        topic: Topics.ingestTopic(DATASET),
        messages: chunk.map((c) => ({ key: c.claim_id, value: JSON.stringify(c) })),
      });
    }
    this.validSent += claims.length;
  }

  async produceRaw(values: readonly string[]): Promise<void> {
    await this.options.producer.send({
      topic: Topics.ingestTopic(DATASET),
      messages: values.map((value, i) => ({ key: `bad-${i}`, value })),
    });
    this.malformedSentCount += values.length;
  }

  /**
   * Live traffic at the scenario's rate, one tick a second: this tick's claims are predicted;
   * last tick's claims get their label on the feedback topic and go, labelled, to the dataset.
   */
  async live(regime: Regime, phase: Phase, done: () => boolean, maxClaims: number, check?: () => void): Promise<void> {
    const perTick = Math.max(1, Math.round((this.options.claimsPerSecond * TICK_MS) / 1000));
    let sent = 0;
    while (sent < maxClaims && !done()) {
      this.options.guard();
      check?.();
      const started = Date.now();
      const claims = Array.from({ length: Math.min(perTick, maxClaims - sent) }, () => this.options.generator.next(regime, new Date()));
      await this.predictAll(claims, phase);
      await this.deliverLabels();
      this.labelsDue = claims;
      sent += claims.length;
      await sleep(Math.max(0, TICK_MS - (Date.now() - started)));
    }
  }

  /** Labels of the claims predicted a tick ago: to the monitor and deployer (feedback) and to the dataset. */
  async deliverLabels(): Promise<void> {
    const due = this.labelsDue;
    this.labelsDue = [];
    if (due.length === 0) return;
    const now = new Date();
    await this.options.producer.send({
      topic: Topics.feedback,
      messages: due.map((claim) => {
        const record = encodeEvent(FeedbackEvent, {
          id: randomUUID(),
          source: 'flywheel/demo',
          time: now,
          key: claim.claim_id,
          causationId: null,
          traceparent: null,
          data: { requestId: claim.claim_id, label: { numberValue: claim.is_fraud }, labelTime: now },
        });
        return { key: record.key, value: record.value, headers: record.headers };
      }),
    });
    await this.produceClaims(due);
  }

  private async predictAll(claims: readonly Claim[], phase: Phase): Promise<void> {
    for (let i = 0; i < claims.length; i += PREDICT_CONCURRENCY) {
      await Promise.all(claims.slice(i, i + PREDICT_CONCURRENCY).map((claim) => this.predict(claim, phase)));
    }
  }

  private async predict(claim: Claim, phase: Phase): Promise<void> {
    const features = Object.fromEntries(Object.entries(claimFeatures(claim)).map(([k, v]) => [k, toValue(v)]));
    try {
      const response = await this.options.deployer.predict(
        deployerV1.PredictRequest.fromPartial({ deployment: MODEL, requestId: claim.claim_id, features: { values: features } }),
        { deadlineMs: 10_000 },
      );
      const output = response.output;
      const predicted = String(output?.numberValue ?? output?.stringValue ?? output?.boolValue ?? '');
      this.served.push({
        claimId: claim.claim_id,
        phase,
        version: response.modelVersion,
        canary: response.canary,
        correct: Number(predicted) === claim.is_fraud || predicted === String(claim.is_fraud === 1),
      });
    } catch (error) {
      this.errors++;
      this.lastError = (error as Error).message;
      if (this.errors % 50 === 1) this.options.timeline.note(`Predict failed (${this.errors} so far): ${this.lastError}`);
    }
  }
}
