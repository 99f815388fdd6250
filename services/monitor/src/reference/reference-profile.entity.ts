import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type commonV1 } from '@flywheel/contracts';
import { type DataProfile } from '@flywheel/ml';

/** A model version's training profile and holdout metric: what its live windows are judged against. */
@Entity({ name: 'reference_profiles' })
export class ReferenceProfileEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @PrimaryColumn({ name: 'model_version', type: 'int' })
  modelVersion!: number;

  @Column({ type: 'int' })
  task!: number;

  @Column({ type: 'jsonb' })
  profile!: DataProfile;

  @Column({ name: 'column_types', type: 'jsonb' })
  columnTypes!: Record<string, commonV1.ColumnType>;

  /** The training set the profile describes. */
  @Column({ type: 'jsonb', nullable: true })
  reference!: commonV1.ObjectRef | null;

  @Column({ type: 'text', nullable: true })
  metric!: string | null;

  @Column({ name: 'reference_value', type: 'double precision', nullable: true })
  referenceValue!: number | null;

  /** Output class shares of the version's first window, once it closed. */
  @Column({ name: 'prediction_baseline', type: 'jsonb', nullable: true })
  predictionBaseline!: Record<string, number> | null;

  @Column({ name: 'source_event_id', type: 'text' })
  sourceEventId!: string;

  @Column({ name: 'update_time', type: 'timestamptz', default: () => 'now()' })
  updateTime!: Date;
}
