import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A batch's IngestSummary as protobuf (base64): replayed exactly, fields added later included. */
export interface StoredSummary {
  proto: string;
}

/** A gRPC batch already applied, with the summary it produced: a retry gets that summary back. */
@Entity({ name: 'ingest_batches' })
export class IngestBatchEntity {
  @PrimaryColumn({ type: 'text' })
  dataset!: string;

  @PrimaryColumn({ name: 'batch_id', type: 'text' })
  batchId!: string;

  @Column({ type: 'jsonb' })
  summary!: StoredSummary;

  @CreateDateColumn({ name: 'applied_at', type: 'timestamptz' })
  appliedAt!: Date;
}
