import { Inject, Injectable } from '@nestjs/common';
import {
  DatasetVersionCommittedEvent,
  DriftDetectedEvent,
  type EventEnvelope,
  type ingestionV1,
  type monitorV1,
  PerformanceDegradedEvent,
  Topics,
} from '@flywheel/contracts';
import { ConsumeEvent, NonRetriableError } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { MODEL_NAME_PATTERN } from '../runs/model-spec';
import { RetrainingService, type RetrainingTrigger } from './retraining.service';

export const RETRAINING_GROUP = 'trainer.retraining-policy';
export const DATASET_VERSIONS_GROUP = 'trainer.dataset-versions';

/** Feeds the retraining policy: its triggers from the monitor, its measure of new data from ingestion. */
@Injectable()
export class RetrainingConsumer {
  constructor(@Inject(RetrainingService) private readonly retraining: RetrainingService) {}

  @ConsumeEvent({ topic: Topics.monitorEvents, types: [DriftDetectedEvent, PerformanceDegradedEvent], group: RETRAINING_GROUP })
  async onMonitorEvent(
    event: EventEnvelope<monitorV1.DriftDetected | monitorV1.PerformanceDegraded>,
    manager: EntityManager,
  ): Promise<void> {
    await this.retraining.decide(manager, triggerOf(event));
  }

  @ConsumeEvent({ topic: Topics.ingestionEvents, types: [DatasetVersionCommittedEvent], group: DATASET_VERSIONS_GROUP })
  async onDatasetVersion(event: EventEnvelope<ingestionV1.DatasetVersionCommitted>, manager: EntityManager): Promise<void> {
    const version = event.data.version;
    if (version === undefined) throw new NonRetriableError(`DatasetVersionCommitted ${event.id} carries no version`);
    await this.retraining.recordDatasetVersion(manager, {
      dataset: event.data.dataset || version.dataset,
      version: version.version,
      rowCount: version.rowCount,
      commitTime: version.commitTime ?? null,
    });
  }
}

function triggerOf(event: EventEnvelope<monitorV1.DriftDetected | monitorV1.PerformanceDegraded>): RetrainingTrigger {
  const data = event.data;
  if (event.type === DriftDetectedEvent.typeName) {
    const drift = data as monitorV1.DriftDetected;
    const report = drift.report;
    // A report can drift on its predictions alone; say which it was rather than a share it did not reach.
    const reason =
      drift.driftedFeatures.length > 0
        ? `drift on ${drift.driftedFeatures.join(', ')}${report ? ` (share ${report.driftedShare.toFixed(2)} ≥ ${report.driftShareThreshold.toFixed(2)})` : ''}`
        : report?.prediction?.drifted
          ? 'drift in the predictions, none in a single feature'
          : 'drift reported with no drifted feature';
    return trigger(event, report?.modelName || event.key, 'drift', reason);
  }
  const degraded = data as monitorV1.PerformanceDegraded;
  return trigger(
    event,
    degraded.modelName || event.key,
    'performance',
    `${degraded.metric || 'performance'} ${degraded.currentValue.toFixed(4)} against ${degraded.referenceValue.toFixed(4)} on the holdout ` +
      `(largest tolerated drop ${degraded.maxDrop}, ${degraded.labelled} labelled predictions)`,
  );
}

function trigger(event: EventEnvelope, modelName: string, kind: RetrainingTrigger['kind'], summary: string): RetrainingTrigger {
  if (!MODEL_NAME_PATTERN.test(modelName))
    throw new NonRetriableError(`${event.type} ${event.id}: no valid model name (got ${JSON.stringify(modelName)})`);
  return { eventId: event.id, eventType: event.type, modelName, kind, summary };
}
