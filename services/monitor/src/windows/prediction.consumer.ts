import { Inject, Injectable } from '@nestjs/common';
import {
  commonV1,
  type deployerV1,
  type EventEnvelope,
  FeedbackEvent,
  type monitorV1,
  PredictionLoggedEvent,
  Topics,
} from '@flywheel/contracts';
import { ConsumeEvent, ConsumeEventBatch, NonRetriableError } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { classKey, journalRow, numberOf } from './journal-values';
import {
  type IndexedPrediction,
  type IndexedValue,
  type JournalAppend,
  type NewIndexedPrediction,
  WindowRepository,
} from './window.repository';
import { WindowService } from './window.service';

export const PREDICTIONS_GROUP = 'monitor.predictions';
export const FEEDBACK_GROUP = 'monitor.feedback';

/**
 * Predictions and labels only append to the journal (and the join index) in the handler's
 * transaction, next to the processed-events rows, so each event counts exactly once; the
 * window service folds committed entries into the summaries. Predictions come as fast as the
 * deployer serves, so they are taken a fetched batch at a time: one transaction, one index
 * upsert and one journal insert per batch.
 */
@Injectable()
export class PredictionConsumer {
  constructor(
    @Inject(WindowRepository) private readonly windows: WindowRepository,
    @Inject(WindowService) private readonly folder: WindowService,
  ) {}

  // A fetch waits for about forty predictions (or the usual long-poll when traffic is light): what
  // a batch costs is paid per batch, and windows are judged over hundreds of predictions anyway.
  @ConsumeEventBatch({
    topic: Topics.predictions,
    types: [PredictionLoggedEvent],
    group: PREDICTIONS_GROUP,
    fetch: { minBytes: 16 * 1024 },
  })
  async onPredictions(events: ReadonlyArray<EventEnvelope<deployerV1.PredictionLogged>>, manager: EntityManager): Promise<void> {
    // The same request logged twice counts once: first within the batch, then against the index.
    const firsts = new Map<string, { event: EventEnvelope<deployerV1.PredictionLogged>; prediction: NewIndexedPrediction }>();
    for (const event of events) {
      const p = event.data;
      if (!p.requestId) throw new NonRetriableError('PredictionLogged.request_id: is required');
      if (!p.modelName) throw new NonRetriableError('PredictionLogged.model_name: is required');
      if (!(p.modelVersion > 0)) throw new NonRetriableError('PredictionLogged.model_version: must be positive');
      if (firsts.has(p.requestId)) continue;
      const regression = p.task === commonV1.ModelTask.MODEL_TASK_REGRESSION;
      firsts.set(p.requestId, {
        event,
        prediction: {
          requestId: p.requestId,
          modelName: p.modelName,
          modelVersion: p.modelVersion,
          deployment: p.deployment,
          task: p.task,
          predicted: { key: regression ? null : classKey(p.output), number: numberOf(p.output) },
          predictTime: p.predictTime ?? event.time,
        },
      });
    }
    const indexed = await this.windows.indexPredictions(
      manager,
      [...firsts.values()].map((f) => f.prediction),
    );
    const entries: JournalAppend[] = [];
    for (const { event, prediction } of firsts.values()) {
      const waitingLabel = indexed.get(prediction.requestId);
      if (waitingLabel === undefined) continue;
      const time = prediction.predictTime.getTime();
      entries.push({
        modelName: prediction.modelName,
        modelVersion: prediction.modelVersion,
        item: {
          kind: 'prediction',
          eventId: event.id,
          time,
          deployment: prediction.deployment,
          entry: {
            requestId: prediction.requestId,
            inputs: journalRow(event.data.inputs),
            outputKey: prediction.predicted.key,
            outputNumber: prediction.predicted.number,
          },
        },
      });
      // Its label came first and was waiting for it.
      if (waitingLabel !== null) entries.push(labelEntry(event.id, time, prediction.requestId, prediction, waitingLabel));
    }
    await this.windows.appendJournal(manager, entries);
    if (entries.length > 0) this.folder.schedule();
  }

  @ConsumeEvent({ topic: Topics.feedback, types: [FeedbackEvent], group: FEEDBACK_GROUP })
  async onFeedback(event: EventEnvelope<monitorV1.Feedback>, manager: EntityManager): Promise<void> {
    const f = event.data;
    if (!f.requestId) throw new NonRetriableError('Feedback.request_id: is required');
    const label: IndexedValue = { key: classKey(f.label), number: numberOf(f.label) };
    if (label.key === null && label.number === null) throw new NonRetriableError('Feedback.label: is required');
    const time = f.labelTime?.getTime() ?? event.time.getTime();
    const indexed = await this.windows.indexLabel(manager, f.requestId, label, new Date(time));
    // A second label for one request is ignored; one without its prediction waits in the index.
    if (indexed === null || indexed.prediction === null) return;
    await this.windows.appendJournal(manager, [labelEntry(event.id, time, f.requestId, indexed.prediction, label)]);
    this.folder.schedule();
  }
}

/** The journal entry of a label joined to its prediction. */
function labelEntry(eventId: string, time: number, requestId: string, prediction: IndexedPrediction, label: IndexedValue): JournalAppend {
  const classification = prediction.predicted.key !== null;
  return {
    modelName: prediction.modelName,
    modelVersion: prediction.modelVersion,
    item: {
      kind: 'label',
      eventId,
      time,
      deployment: prediction.deployment,
      entry: classification
        ? { requestId, truthKey: label.key, predictedKey: prediction.predicted.key, truthNumber: null, predictedNumber: null }
        : { requestId, truthKey: null, predictedKey: null, truthNumber: label.number, predictedNumber: prediction.predicted.number },
    },
  };
}
