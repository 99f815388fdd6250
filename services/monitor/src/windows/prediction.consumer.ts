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
import { ConsumeEvent, NonRetriableError } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { classKey, journalRow, numberOf } from './journal-values';
import { type IndexedPrediction, type IndexedValue, WindowRepository } from './window.repository';
import { WindowService } from './window.service';

export const PREDICTIONS_GROUP = 'monitor.predictions';
export const FEEDBACK_GROUP = 'monitor.feedback';

/**
 * Predictions and labels only append to the journal (and the join index) in the handler's
 * transaction, next to the processed-events row, so each event counts exactly once; the
 * window service folds committed entries into the summaries.
 */
@Injectable()
export class PredictionConsumer {
  constructor(
    @Inject(WindowRepository) private readonly windows: WindowRepository,
    @Inject(WindowService) private readonly folder: WindowService,
  ) {}

  @ConsumeEvent({ topic: Topics.predictions, types: [PredictionLoggedEvent], group: PREDICTIONS_GROUP })
  async onPrediction(event: EventEnvelope<deployerV1.PredictionLogged>, manager: EntityManager): Promise<void> {
    const p = event.data;
    if (!p.requestId) throw new NonRetriableError('PredictionLogged.request_id: is required');
    if (!p.modelName) throw new NonRetriableError('PredictionLogged.model_name: is required');
    if (!(p.modelVersion > 0)) throw new NonRetriableError('PredictionLogged.model_version: must be positive');
    const regression = p.task === commonV1.ModelTask.MODEL_TASK_REGRESSION;
    const predicted: IndexedValue = { key: regression ? null : classKey(p.output), number: numberOf(p.output) };
    const time = p.predictTime?.getTime() ?? event.time.getTime();
    const indexed = await this.windows.indexPrediction(manager, {
      requestId: p.requestId,
      modelName: p.modelName,
      modelVersion: p.modelVersion,
      deployment: p.deployment,
      task: p.task,
      predicted,
      predictTime: new Date(time),
    });
    // The same request logged twice counts once.
    if (indexed === null) return;
    await this.windows.appendJournal(manager, p.modelName, p.modelVersion, {
      kind: 'prediction',
      eventId: event.id,
      time,
      deployment: p.deployment,
      entry: { requestId: p.requestId, inputs: journalRow(p.inputs), outputKey: predicted.key, outputNumber: predicted.number },
    });
    if (indexed.label !== null) {
      // Its label came first and was waiting for it.
      const prediction: IndexedPrediction = { modelName: p.modelName, modelVersion: p.modelVersion, deployment: p.deployment, predicted };
      await this.appendLabel(manager, event.id, time, p.requestId, prediction, indexed.label);
    }
    this.folder.schedule();
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
    await this.appendLabel(manager, event.id, time, f.requestId, indexed.prediction, label);
    this.folder.schedule();
  }

  private async appendLabel(
    manager: EntityManager,
    eventId: string,
    time: number,
    requestId: string,
    prediction: IndexedPrediction,
    label: IndexedValue,
  ): Promise<void> {
    const classification = prediction.predicted.key !== null;
    await this.windows.appendJournal(manager, prediction.modelName, prediction.modelVersion, {
      kind: 'label',
      eventId,
      time,
      deployment: prediction.deployment,
      entry: classification
        ? { requestId, truthKey: label.key, predictedKey: prediction.predicted.key, truthNumber: null, predictedNumber: null }
        : { requestId, truthKey: null, predictedKey: null, truthNumber: label.number, predictedNumber: prediction.predicted.number },
    });
  }
}
