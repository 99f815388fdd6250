import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { type FeatureViewDefinition } from './feature-view';

/** One revision of a feature view; the highest revision of a name is the current one. */
@Entity({ name: 'feature_views' })
@Index('feature_views_dataset_idx', ['dataset', 'name', 'revision'])
export class FeatureViewEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @PrimaryColumn({ type: 'integer' })
  revision!: number;

  @Column({ type: 'text' })
  dataset!: string;

  @Column({ type: 'jsonb' })
  definition!: FeatureViewDefinition;

  @Column({ name: 'definition_hash', type: 'text' })
  definitionHash!: string;

  @Column({ name: 'applied_at', type: 'timestamptz' })
  appliedAt!: Date;

  @Column({ name: 'applied_by_team', type: 'text', default: '' })
  appliedByTeam!: string;

  @Column({ name: 'applied_by_token', type: 'text', default: '' })
  appliedByToken!: string;

  @Column({ name: 'materialised_dataset_version', type: 'integer', default: 0 })
  materialisedDatasetVersion!: number;
}
