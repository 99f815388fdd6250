import { type deployerV1, type monitorV1 } from '@flywheel/contracts';
import { InvalidArgumentException, ManualClock } from '@flywheel/platform';
import { newDeployment } from '../rollout/rollout-transitions';
import { DEFAULT_CANARY_POLICY, FakeDeploymentRepository } from '../testing/fakes';
import { FeedbackEvents } from './feedback-events';
import { FeedbackService, MAX_FEEDBACK_LABELS } from './feedback.service';

class RecordedFeedback extends FeedbackEvents {
  readonly calls: monitorV1.Feedback[][] = [];
  async publishAll(labels: readonly monitorV1.Feedback[]): Promise<void> {
    this.calls.push([...labels]);
  }
}

function setUp() {
  const repository = new FakeDeploymentRepository();
  repository.deployments.set('churn', newDeployment('churn', 'churn', 'production', DEFAULT_CANARY_POLICY, new Date(0)));
  const events = new RecordedFeedback();
  const clock = new ManualClock('2026-12-01T12:00:00Z');
  return { service: new FeedbackService(repository, events, clock), events, clock };
}

const label = (requestId: string, value: deployerV1.FeedbackLabel['label'], labelTime?: Date): deployerV1.FeedbackLabel => ({
  requestId,
  label: value,
  labelTime,
});

describe('SubmitFeedback', () => {
  it('publishes every good label in one call, keyed by request id, dated now unless told', async () => {
    const { service, events, clock } = setUp();
    const known = new Date('2026-11-30T08:00:00Z');
    const response = await service.submit({
      deployment: 'churn',
      labels: [label('r-1', { boolValue: true }, known), label('r-2', { numberValue: 0 }), label('r-3', { stringValue: 'gone' })],
    });
    expect(response).toEqual({ accepted: 3, rejected: [] });
    expect(events.calls).toEqual([
      [
        { requestId: 'r-1', label: { boolValue: true }, labelTime: known },
        { requestId: 'r-2', label: { numberValue: 0 }, labelTime: clock.now() },
        { requestId: 'r-3', label: { stringValue: 'gone' }, labelTime: clock.now() },
      ],
    ]);
  });

  it('refuses bad labels one by one, naming index and field, and records the rest', async () => {
    const { service, events } = setUp();
    const response = await service.submit({
      deployment: 'churn',
      labels: [
        label('r-1', { boolValue: false }),
        label('has space', { boolValue: true }),
        label('r-3', undefined),
        label('r-4', { numberValue: Number.NaN }),
        label('r-5', { stringValue: '' }),
        label('r-6', { numberValue: 1 }, new Date('2026-12-01T12:10:00Z')),
        label('r-7', { numberValue: 1 }, new Date('2026-12-01T12:04:00Z')),
      ],
    });
    expect(response).toEqual({
      accepted: 2,
      rejected: [
        { index: 1, requestId: 'has space', reason: 'labels[1].request_id: must be 1 to 128 printable ASCII characters without spaces' },
        { index: 2, requestId: 'r-3', reason: 'labels[2].label: is required: a number, a text or a boolean' },
        { index: 3, requestId: 'r-4', reason: 'labels[3].label: must be a finite number' },
        { index: 4, requestId: 'r-5', reason: 'labels[4].label: a text label must be 1 to 1000 characters' },
        { index: 5, requestId: 'r-6', reason: 'labels[5].label_time: is 2026-12-01T12:10:00.000Z, in the future' },
      ],
    });
    expect(events.calls.map((c) => c.map((f) => f.requestId))).toEqual([['r-1', 'r-7']]);
  });

  it('answers INVALID_ARGUMENT for an empty or oversized call, NOT_FOUND for an unknown deployment, publishing nothing', async () => {
    const { service, events } = setUp();
    await expect(service.submit({ deployment: 'churn', labels: [] })).rejects.toThrow('labels: must hold at least one label');
    const many = Array.from({ length: MAX_FEEDBACK_LABELS + 1 }, (_, i) => label(`r-${i}`, { boolValue: true }));
    await expect(service.submit({ deployment: 'churn', labels: many })).rejects.toBeInstanceOf(InvalidArgumentException);
    await expect(service.submit({ deployment: 'Churn!', labels: many.slice(0, 1) })).rejects.toThrow(/^deployment: must match/);
    await expect(service.submit({ deployment: 'fraud', labels: many.slice(0, 1) })).rejects.toThrow('deployment fraud does not exist');
    const nothingGood = await service.submit({ deployment: 'churn', labels: [label('', { boolValue: true })] });
    expect(nothingGood.accepted).toBe(0);
    expect(events.calls).toEqual([]);
  });
});
