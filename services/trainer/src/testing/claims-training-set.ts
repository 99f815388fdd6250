import { randomUUID } from 'node:crypto';
import { encodeEvent, type EventType, featureStoreV1, type KafkaRecord } from '@flywheel/contracts';
import { formatCsv, Rng } from '@flywheel/ml';
import { MinioObjectStore, type ObjectStore, trainingSetKey } from '@flywheel/storage';
import { FeatureStorePort } from '../training/feature-store.port';

export const FEATURE_VIEW = 'claims-features';
export const CLAIMS_COLUMNS = ['claim_id', 'event_time', 'is_fraud', 'amount', 'age', 'channel'] as const;

/**
 * Seeded insurance claims as the feature store writes a training set: entity key, event time
 * (RFC 3339), the label asked for as an extra column, then the features. Fraud is likelier for
 * large amounts, young claimants and the web channel, so a model has something to learn.
 */
export function claimsCsv(rows: number, seed = 7): string {
  const rng = new Rng(seed);
  const start = Date.UTC(2025, 0, 1);
  const channels = ['web', 'agent', 'phone'];
  const body: Array<Array<string | number>> = [];
  for (let i = 0; i < rows; i++) {
    const amount = Math.round(200 + rng.next() * 9800);
    const age = 18 + Math.floor(rng.next() * 60);
    const channel = channels[Math.floor(rng.next() * channels.length)]!;
    const score = (amount - 5000) / 1500 - (age - 45) / 12 + (channel === 'web' ? 0.8 : -0.4) + (rng.next() - 0.5) * 2;
    const fraud = score > 0.6 ? 1 : 0;
    body.push([`c${i}`, new Date(start + i * 60_000).toISOString(), fraud, amount, age, channel]);
  }
  return formatCsv([...CLAIMS_COLUMNS], body);
}

/** The object store a service started with `env` uses (to publish training sets, read artifacts). */
export function objectStoreOf(env: Readonly<Record<string, string | undefined>>): MinioObjectStore {
  return new MinioObjectStore({
    endpoint: env.S3_ENDPOINT!,
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    bucket: env.S3_BUCKET!,
    region: 'us-east-1',
  });
}

/**
 * A feature store port that answers GetHistoricalFeatures with a training set already written to
 * the object store, as the feature store would, and records what it was asked.
 */
export class StoredTrainingSetFeatureStore extends FeatureStorePort {
  readonly requests: featureStoreV1.GetHistoricalFeaturesRequest[] = [];
  private response: featureStoreV1.GetHistoricalFeaturesResponse | undefined;

  async publish(objects: ObjectStore, csv: string): Promise<void> {
    await objects.ensureBucket();
    const key = trainingSetKey(FEATURE_VIEW, `r1-${randomUUID().slice(0, 8)}`, 'training-set.csv');
    const put = await objects.put(key, Buffer.from(csv), { contentType: 'text/csv' });
    const header = csv.slice(0, csv.indexOf('\n')).split(',');
    this.response = featureStoreV1.GetHistoricalFeaturesResponse.fromPartial({
      trainingSet: { key, sha256: put.sha256, sizeBytes: put.size, contentType: 'text/csv' },
      rowCount: csv.trim().split('\n').length - 1,
      columns: header,
      featureViewRevision: 1,
      dataset: 'claims',
      datasetVersionFrom: 1,
      datasetVersionTo: 3,
      profile: { rowCount: 0, columns: [] },
    });
  }

  /**
   * The view the published set is of. Its dataset's columns are unknown unless a test sets them,
   * so SubmitTraining checks no label against them unless asked to.
   */
  datasetColumns: featureStoreV1.SourceColumn[] = [];

  async getFeatureView(name: string): Promise<featureStoreV1.FeatureView | undefined> {
    if (name !== FEATURE_VIEW || !this.response) return undefined;
    const [, , ...rest] = this.response.columns;
    return featureStoreV1.FeatureView.fromPartial({
      name,
      dataset: this.response.dataset,
      features: rest.map((column) => ({ name: column, column })),
      revision: 1,
      datasetColumns: this.datasetColumns,
    });
  }

  async getHistoricalFeatures(request: featureStoreV1.GetHistoricalFeaturesRequest): Promise<featureStoreV1.GetHistoricalFeaturesResponse> {
    this.requests.push(request);
    if (!this.response) throw new Error('no training set published');
    return this.response;
  }
}

/** An enveloped event as another service would put it on Kafka. */
export function producedEvent<T>(
  type: EventType<T>,
  data: T,
  key: string,
  source: string,
  causationId: string | null = null,
): KafkaRecord & { id: string } {
  const id = randomUUID();
  return { id, ...encodeEvent(type, { id, source, time: new Date(), key, causationId, traceparent: null, data }) };
}
