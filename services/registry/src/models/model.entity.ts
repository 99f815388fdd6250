import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A registered model; its row is also the lock that serialises alias moves of the model. */
@Entity({ name: 'models' })
export class ModelEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  tags!: Record<string, string>;

  /** Empty while the model exists only because a run produced it (no team has claimed it yet). */
  @Column({ name: 'owner_team', type: 'text', default: '' })
  ownerTeam!: string;

  @Column({ name: 'latest_version', type: 'integer', default: 0 })
  latestVersion!: number;

  @CreateDateColumn({ name: 'create_time', type: 'timestamptz' })
  createTime!: Date;
}
