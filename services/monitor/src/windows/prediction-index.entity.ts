import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type IndexedValue } from './window.repository';

/**
 * The label join: a request id with its prediction and/or its label, whichever arrived first
 * (the other's columns stay null until it arrives).
 */
@Entity({ name: 'prediction_index' })
export class PredictionIndexEntity {
  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId!: string;

  @Column({ name: 'model_name', type: 'text', nullable: true })
  modelName!: string | null;

  @Column({ name: 'model_version', type: 'int', nullable: true })
  modelVersion!: number | null;

  @Column({ type: 'text', nullable: true })
  deployment!: string | null;

  @Column({ type: 'int', nullable: true })
  task!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  predicted!: IndexedValue | null;

  @Column({ name: 'predict_time', type: 'timestamptz', nullable: true })
  predictTime!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  label!: IndexedValue | null;

  @Column({ name: 'label_time', type: 'timestamptz', nullable: true })
  labelTime!: Date | null;

  @Column({ name: 'create_time', type: 'timestamptz', default: () => 'now()' })
  createTime!: Date;
}
