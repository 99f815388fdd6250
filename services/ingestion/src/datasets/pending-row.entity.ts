import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type Record_ } from './record-validation';

/** An accepted record waiting for the next version. */
@Entity({ name: 'pending_rows' })
export class PendingRowEntity {
  /** bigserial: kept as text, it only orders and bounds the rows a commit takes. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  dataset!: string;

  /** `kafka:<topic>/<partition>/<offset>` or `grpc:<batch>/<index>`: one record, once (unique per dataset). */
  @Column({ type: 'text' })
  origin!: string;

  @Column({ type: 'jsonb' })
  values!: Record_;

  @Column({ name: 'event_time', type: 'timestamptz', nullable: true })
  eventTime!: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
