import { ingestionV1, Topics } from '@flywheel/contracts';
import { contractToProto } from './dataset-contract';
import { type DatasetVersionEntity } from './dataset-version.entity';
import { type DatasetEntity } from './dataset.entity';
import { type StoredSummary } from './ingest-batch.entity';
import { type QuarantinedRecordEntity } from './quarantined-record.entity';

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

export function quarantineToProto(row: QuarantinedRecordEntity): ingestionV1.QuarantinedRecord {
  return {
    id: row.id,
    dataset: row.dataset,
    raw: row.raw,
    violations: row.violations.map((v) => ({ field: v.field, code: v.code, message: v.message })),
    origin: row.origin,
    quarantineTime: row.quarantinedAt,
  };
}

/** Stored form of a batch's summary, replayed when the same batch id comes again. */
export function encodeSummary(summary: ingestionV1.IngestSummary): StoredSummary {
  return { proto: Buffer.from(ingestionV1.IngestSummary.encode(summary).finish()).toString('base64') };
}

export function decodeSummary(stored: StoredSummary): ingestionV1.IngestSummary {
  return ingestionV1.IngestSummary.decode(Buffer.from(stored.proto, 'base64'));
}
