import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';
import { type Contract, type DatasetDefinition } from './dataset-contract';

/** A registered dataset: its contract and commit policy, and the counters every ingest keeps under its row lock. */
@Entity({ name: 'datasets' })
export class DatasetEntity implements DatasetDefinition {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'jsonb' })
  contract!: Contract;

  @Column({ name: 'max_rows', type: 'integer' })
  maxRows!: number;

  @Column({ name: 'max_interval_ms', type: 'bigint', transformer: bigintAsNumber })
  maxIntervalMs!: number;

  @Column({ name: 'owner_team', type: 'text' })
  ownerTeam!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'latest_version', type: 'integer', default: 0 })
  latestVersion!: number;

  @Column({ name: 'cumulative_rows', type: 'bigint', default: 0, transformer: bigintAsNumber })
  cumulativeRows!: number;

  /** Maintained under the row lock every ingest takes, so the row-count trigger is exact. */
  @Column({ name: 'pending_rows', type: 'bigint', default: 0, transformer: bigintAsNumber })
  pendingRows!: number;

  /** When the oldest pending record arrived: the interval trigger counts from here. */
  @Column({ name: 'pending_since', type: 'timestamptz', nullable: true })
  pendingSince!: Date | null;

  @Column({ name: 'quarantined_pending', type: 'bigint', default: 0, transformer: bigintAsNumber })
  quarantinedPending!: number;
}
