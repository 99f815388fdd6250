import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type monitorV1 } from '@flywheel/contracts';

/** An alert about one model version and kind; at most one per version and kind is open. */
@Entity({ name: 'alerts' })
export class AlertEntity {
  @PrimaryColumn({ name: 'alert_id', type: 'uuid' })
  alertId!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'model_version', type: 'int' })
  modelVersion!: number;

  @Column({ type: 'int' })
  kind!: monitorV1.AlertKind;

  @Column({ type: 'text' })
  message!: string;

  /** The drift report behind the latest notification ('' for performance alerts). */
  @Column({ name: 'report_id', type: 'text', default: '' })
  reportId!: string;

  /** The event of the latest notification ('' while none was published). */
  @Column({ name: 'event_id', type: 'text', default: '' })
  eventId!: string;

  @Column({ name: 'raise_time', type: 'timestamptz' })
  raiseTime!: Date;

  /** When the alert's event was last published: the cooldown counts from here. */
  @Column({ name: 'notify_time', type: 'timestamptz' })
  notifyTime!: Date;

  @Column({ name: 'resolve_time', type: 'timestamptz', nullable: true })
  resolveTime!: Date | null;

  /** Bad windows recorded without publishing again (within the cooldown). */
  @Column({ type: 'int', default: 0 })
  suppressed!: number;
}
