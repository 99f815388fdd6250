import { bigintAsNumber } from '@flywheel/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type SerializedWindow } from './window-state';

export type WindowStatus = 'open' | 'closed';

/** A window of one model version: the open one (at most one per version) and the closed ones. */
@Entity({ name: 'monitor_windows' })
export class MonitorWindowEntity {
  @PrimaryColumn({ name: 'window_id', type: 'uuid' })
  windowId!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'model_version', type: 'int' })
  modelVersion!: number;

  @Column({ type: 'text', default: '' })
  deployment!: string;

  @Column({ type: 'int' })
  sequence!: number;

  @Column({ type: 'text' })
  status!: WindowStatus;

  @Column({ name: 'start_time', type: 'timestamptz', nullable: true })
  startTime!: Date | null;

  @Column({ name: 'end_time', type: 'timestamptz', nullable: true })
  endTime!: Date | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  predictions!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  labelled!: number;

  @Column({ type: 'text', nullable: true })
  metric!: string | null;

  @Column({ name: 'metric_value', type: 'double precision', nullable: true })
  metricValue!: number | null;

  /** The streaming summaries (null until the first fold). */
  @Column({ type: 'jsonb', nullable: true })
  state!: SerializedWindow | null;

  /** Bumped by every fold, so a replica knows when its cached summary is stale. */
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  revision!: number;

  @Column({ name: 'closed_by_event', type: 'text', nullable: true })
  closedByEvent!: string | null;

  @Column({ name: 'report_id', type: 'uuid', nullable: true })
  reportId!: string | null;

  @Column({ name: 'close_time', type: 'timestamptz', nullable: true })
  closeTime!: Date | null;
}
