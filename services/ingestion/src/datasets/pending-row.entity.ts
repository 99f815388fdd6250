import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An accepted record waiting for the next version. */
@Entity({ name: 'pending_rows' })
export class PendingRowEntity {
  /** bigserial: kept as text, it only orders and bounds the rows a commit takes. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  dataset!: string;

  /** `kafka:<topic>/<partition>/<offset>` or `grpc:<batch>/<index>`: where the record came from. */
  @Column({ type: 'text' })
  origin!: string;

  /** The validated values as JSON text: written and read whole, never queried. */
  @Column({ type: 'text' })
  values!: string;

  @Column({ name: 'event_time', type: 'timestamptz', nullable: true })
  eventTime!: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
