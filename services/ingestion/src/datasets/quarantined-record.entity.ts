import { bigintAsNumber } from '@flywheel/persistence';
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

  /** The record as received (see `rawText`). */
  @Column({ type: 'text' })
  raw!: string;

  @Column({ name: 'raw_size_bytes', type: 'bigint', transformer: bigintAsNumber })
  rawSizeBytes!: number;

  @Column({ name: 'raw_sha256', type: 'text' })
  rawSha256!: string;

  /** The version committed after it was quarantined (its `quarantined_count` counts it); null until then. */
  @Column({ type: 'integer', nullable: true })
  version!: number | null;

  @Column({ type: 'jsonb' })
  violations!: Violation[];

  @Column({ type: 'text' })
  origin!: string;

  @CreateDateColumn({ name: 'quarantined_at', type: 'timestamptz' })
  quarantinedAt!: Date;

  /** When it was replayed against a relaxed contract; null while it waits. */
  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt!: Date | null;

  /** The replay's outcome (the proto's ReplayOutcome); 0 while it waits. */
  @Column({ name: 'replay_outcome', type: 'smallint', default: 0 })
  replayOutcome!: number;
}
