import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type Violation } from './record-validation';

/** A record that broke the contract, kept as received with every rule it broke. */
@Entity({ name: 'quarantined_records' })
export class QuarantinedRecordEntity {
  /** bigserial: the listing's order and cursor; pg returns int8 as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'uuid', unique: true })
  id!: string;

  @Column({ type: 'text' })
  dataset!: string;

  @Column({ type: 'text' })
  raw!: string;

  @Column({ type: 'jsonb' })
  violations!: Violation[];

  @Column({ type: 'text' })
  origin!: string;

  @CreateDateColumn({ name: 'quarantined_at', type: 'timestamptz' })
  quarantinedAt!: Date;
}
