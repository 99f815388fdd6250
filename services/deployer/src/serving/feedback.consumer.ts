import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, FeedbackEvent, type monitorV1, Topics } from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { FLYWHEEL_METRICS, PlatformMetrics } from '@flywheel/platform';
import { type Counter } from 'prom-client';
import { type EntityManager } from 'typeorm';
import { LiveStats, type LabelValue } from './live-stats';

/**
 * Joins ground-truth labels to the predictions this process served, by request id, for the
 * canary's accuracy check. Every replica hears every label (any of them may have served the
 * request); labels of requests it did not serve (or has forgotten, or that no one served)
 * change nothing and are counted.
 */
@Injectable()
export class FeedbackConsumer {
  private readonly unmatched: Counter;

  constructor(
    @Inject(LiveStats) private readonly stats: LiveStats,
    @Inject(PlatformMetrics) metrics: PlatformMetrics,
  ) {
    this.unmatched = metrics.counterOf(FLYWHEEL_METRICS.deployerFeedbackUnmatched);
  }

  @ConsumeEvent({ topic: Topics.feedback, types: [FeedbackEvent], group: 'deployer.feedback', replicas: 'each' })
  async onFeedback(event: EventEnvelope<monitorV1.Feedback>, _manager: EntityManager): Promise<void> {
    const label = labelOf(event.data.label);
    if (label === undefined || !this.stats.recordLabel(event.data.requestId, label)) this.unmatched.inc();
  }
}

function labelOf(value: monitorV1.Feedback['label']): LabelValue | undefined {
  if (value === undefined) return undefined;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return undefined;
}
