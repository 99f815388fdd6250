import { FeedbackEvent, monitorV1, type EventEnvelope } from '@flywheel/contracts';
import { PlatformMetrics } from '@flywheel/platform';
import { FeedbackConsumer } from './feedback.consumer';
import { LiveStats } from './live-stats';

const feedback = (requestId: string, label: monitorV1.Feedback['label']): EventEnvelope<monitorV1.Feedback> => ({
  id: `feedback-${requestId}`,
  source: 'flywheel/test',
  type: FeedbackEvent.typeName,
  time: new Date(),
  key: requestId,
  causationId: null,
  traceparent: null,
  data: monitorV1.Feedback.fromPartial({ requestId, label }),
});

describe('FeedbackConsumer', () => {
  it('joins a label to the prediction served here, and counts labels of requests it did not serve', async () => {
    const stats = new LiveStats({ latencyWindow: 10, joinWindow: 10 });
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    const consumer = new FeedbackConsumer(stats, metrics);
    stats.enterPhase('fraud', 'stable v1', false);
    stats.recordSuccess('fraud', { requestId: 'served', version: 1, regression: false, output: 1 }, 2);

    await consumer.onFeedback(feedback('served', { numberValue: 1 }), undefined as never);
    await consumer.onFeedback(feedback('made-up', { numberValue: 1 }), undefined as never);
    await consumer.onFeedback(feedback('served', { numberValue: 0 }), undefined as never);

    expect(stats.figures('fraud', 1)).toMatchObject({ labelled: 1, accuracy: 1 });
    expect(await metrics.registry.getSingleMetricAsString('flywheel_deployer_feedback_unmatched_total')).toMatch(
      /^flywheel_deployer_feedback_unmatched_total 2$/m,
    );
  });
});
