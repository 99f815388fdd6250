import { Topics } from './topics';
import * as featurestore from './generated/flywheel/featurestore/v1/featurestore';
import { ALL_EVENT_TYPES, changedFeatureView, DriftDetectedEvent, PredictionLoggedEvent, TrainModelCommand, topicFor } from './events';

describe('event types', () => {
  it('puts each event type on its area topic, predictions and feedback on their own', () => {
    expect(topicFor(DriftDetectedEvent)).toBe(Topics.monitorEvents);
    expect(topicFor(TrainModelCommand)).toBe(Topics.trainerCommands);
    expect(topicFor(PredictionLoggedEvent)).toBe(Topics.predictions);
    expect(topicFor('flywheel.monitor.v1.Feedback')).toBe(Topics.feedback);
    for (const type of ALL_EVENT_TYPES) {
      const area = type.typeName.split('.')[1];
      const topic = topicFor(type);
      expect([`flywheel.${area}.events`, `flywheel.${area}.commands`, Topics.predictions, Topics.feedback]).toContain(topic);
    }
    expect(() => topicFor('flywheel.monitor.v1.Nope')).toThrow('flywheel.monitor.v1.Nope is not a Flywheel event type');
  });

  it('names each event type by its full protobuf message name, once', () => {
    const names = ALL_EVENT_TYPES.map((type) => type.typeName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^flywheel\.[a-z]+\.v1\.[A-Z][A-Za-z]+$/);
  });

  it('names the view a feature-store change is about, whichever event says it', () => {
    expect(changedFeatureView(featurestore.FeaturesMaterialised.fromPartial({ featureView: 'claims', datasetVersion: 3 }))).toBe('claims');
    expect(changedFeatureView(featurestore.FeatureViewApplied.fromPartial({ featureView: { name: 'payments', revision: 2 } }))).toBe(
      'payments',
    );
    expect(changedFeatureView(featurestore.FeatureViewApplied.fromPartial({}))).toBeUndefined();
  });
});
