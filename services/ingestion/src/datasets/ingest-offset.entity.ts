import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * How far a raw topic's partition has been applied, written in the transaction that stages its
 * records: a redelivered record (below `nextOffset`) is recognised without a row per record.
 */
@Entity({ name: 'ingest_offsets' })
export class IngestOffsetEntity {
  @PrimaryColumn({ type: 'text' })
  topic!: string;

  @PrimaryColumn({ type: 'integer' })
  partition!: number;

  @Column({ type: 'text' })
  dataset!: string;

  /** The offset of the first record not yet applied; int8 kept as text. */
  @Column({ name: 'next_offset', type: 'bigint' })
  nextOffset!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
