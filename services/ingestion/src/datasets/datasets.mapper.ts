import { ingestionV1, Topics } from '@flywheel/contracts';
import { contractToProto } from './dataset-contract';
import { type DatasetVersionEntity } from './dataset-version.entity';
import { type DatasetEntity } from './dataset.entity';
import { type StoredSummary } from './ingest-batch.entity';
import { type QuarantinedRecordEntity } from './quarantined-record.entity';
import { utf8Sample } from './record-batch';
import { type UnregisteredTopicEntity } from './unregistered-topic.entity';

export function datasetToProto(row: DatasetEntity): ingestionV1.Dataset {
  return {
    name: row.name,
    description: row.description,
    contract: contractToProto(row.contract),
    commitPolicy: {
      maxRows: row.maxRows,
      maxInterval: { seconds: Math.floor(row.maxIntervalMs / 1000), nanos: (row.maxIntervalMs % 1000) * 1e6 },
    },
    ownerTeam: row.ownerTeam,
    createTime: row.createdAt,
    latestVersion: row.latestVersion,
    ingestTopic: Topics.ingestTopic(row.name),
  };
}

export function versionToProto(row: DatasetVersionEntity): ingestionV1.DatasetVersion {
  return {
    dataset: row.dataset,
    version: row.version,
    rowCount: row.rowCount,
    cumulativeRowCount: row.cumulativeRows,
    object: { key: row.objectKey, sha256: row.sha256, sizeBytes: row.sizeBytes, contentType: row.contentType },
    profile: row.profile,
    eventTimeRange: row.eventTimeStart && row.eventTimeEnd ? { start: row.eventTimeStart, end: row.eventTimeEnd } : undefined,
    trigger: row.trigger,
    commitTime: row.committedAt,
    quarantinedCount: row.quarantinedCount,
  };
}

/** A quarantined record with the first `sampleBytes` of its text (its size and hash tell the whole). */
export function quarantineToProto(row: QuarantinedRecordEntity, sampleBytes: number): ingestionV1.QuarantinedRecord {
  const sample = utf8Sample(row.raw, sampleBytes);
  return {
    id: row.id,
    dataset: row.dataset,
    raw: sample.text,
    rawTruncated: sample.truncated,
    rawSizeBytes: row.rawSizeBytes,
    rawSha256: row.rawSha256,
    violations: row.violations.map((v) => ({ field: v.field, code: v.code, message: v.message })),
    origin: row.origin,
    quarantineTime: row.quarantinedAt,
    replayTime: row.replayedAt ?? undefined,
    replayOutcome: row.replayOutcome ?? 0,
  };
}

export function unregisteredTopicToProto(row: UnregisteredTopicEntity): ingestionV1.UnregisteredTopic {
  return { topic: row.topic, deadLettered: row.deadLettered, firstSeen: row.firstSeen, lastSeen: row.lastSeen };
}

/** Stored form of a batch's summary, replayed when the same batch id comes again. */
export function encodeSummary(summary: ingestionV1.IngestSummary): StoredSummary {
  return { proto: Buffer.from(ingestionV1.IngestSummary.encode(summary).finish()).toString('base64') };
}

export function decodeSummary(stored: StoredSummary): ingestionV1.IngestSummary {
  return ingestionV1.IngestSummary.decode(Buffer.from(stored.proto, 'base64'));
}
