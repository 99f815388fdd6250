import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Accepted records waiting for the next version, a staged batch per row: they are written and
 * read whole, never queried one by one, so a batch costs one row however many records it holds.
 */
@Entity({ name: 'pending_batches' })
export class PendingBatchEntity {
  /** With id, the primary key: everything reads and deletes one dataset's batches in arrival order. */
  @PrimaryColumn({ type: 'text' })
  dataset!: string;

  /** bigserial: kept as text, it only orders the batches. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** Where the batch came from, e.g. `kafka:<topic>/<partition>/<first>-<last>` or `grpc:<batch>`. */
  @Column({ type: 'text' })
  origin!: string;

  @Column({ name: 'row_count', type: 'integer' })
  rowCount!: number;

  /** JSON array of the records' values, in arrival order. */
  @Column({ type: 'text' })
  records!: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
