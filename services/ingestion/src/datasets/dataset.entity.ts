import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';
import { type Contract, type DatasetDefinition } from './dataset-contract';

/**
 * A registered dataset: its contract, commit policy and committed totals. Only registration and
 * version commits write it (commits lock it, one at a time); ingestion never does, so producers
 * never wait for a commit.
 */
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
}
