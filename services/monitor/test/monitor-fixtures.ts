import { commonV1 } from '@flywheel/contracts';
import { buildProfile } from '@flywheel/ml';
import { decodeProfile, encodeProfile } from '../src/reference/profile-codec';
import { type JournalEntry } from '../src/windows/window-folder';
import { type Reference } from '../src/windows/window-judge';
import { type Claim } from './claims-data';

/** The reference as the monitor receives it: a library profile sent through the contract's profile. */
export function referenceFrom(training: readonly Claim[], overrides: Partial<Reference> = {}): Reference {
  const profile = buildProfile([
    { name: 'amount', type: 'numeric', values: training.map((c) => c.amount) },
    { name: 'age', type: 'numeric', values: training.map((c) => c.age) },
    { name: 'tenure', type: 'numeric', values: training.map((c) => c.tenure) },
    { name: 'channel', type: 'categorical', values: training.map((c) => c.channel) },
    { name: 'region', type: 'categorical', values: training.map((c) => c.region) },
  ]);
  const decoded = decodeProfile(
    encodeProfile(profile, { channel: commonV1.ColumnType.COLUMN_TYPE_STRING, region: commonV1.ColumnType.COLUMN_TYPE_STRING }),
  );
  return {
    modelName: 'fraud',
    modelVersion: 1,
    task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
    profile: decoded.profile,
    columnTypes: decoded.columnTypes,
    source: null,
    metric: 'accuracy',
    referenceValue: 0.9,
    predictionBaseline: null,
    ...overrides,
  };
}

/** A claim's prediction as journalled; the model answers "fraud" for large amounts. */
export function predictionEntry(claim: Claim, prefix: string, index: number, time: number): JournalEntry {
  return {
    kind: 'prediction',
    eventId: `${prefix}-event-${index}`,
    time,
    deployment: 'fraud',
    entry: {
      requestId: `${prefix}-${index}`,
      inputs: { amount: claim.amount, age: claim.age, tenure: claim.tenure, channel: claim.channel, region: claim.region },
      outputKey: claim.amount > 1100 ? '1' : '0',
      outputNumber: null,
    },
  };
}
