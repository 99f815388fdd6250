import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A closed window's drift report. The full `DriftReport` message is kept as its protobuf
 * encoding in `report`; the columns beside it are what SQL needs to find reports.
 */
@Entity({ name: 'drift_reports' })
export class DriftReportEntity {
  @PrimaryColumn({ name: 'report_id', type: 'uuid' })
  reportId!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'model_version', type: 'int' })
  modelVersion!: number;

  @Column({ name: 'window_id', type: 'uuid' })
  windowId!: string;

  @Column({ name: 'dataset_drift', type: 'boolean' })
  datasetDrift!: boolean;

  @Column({ type: 'bytea' })
  report!: Buffer;

  @Column({ name: 'create_time', type: 'timestamptz' })
  createTime!: Date;
}
