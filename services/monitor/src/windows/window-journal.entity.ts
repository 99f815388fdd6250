import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type JournalEntry } from './window-folder';

/** A prediction or joined label committed but not yet folded into its version's open window. */
@Entity({ name: 'window_journal' })
export class WindowJournalEntity {
  /** bigserial: kept as the driver's string, the fold order. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'model_version', type: 'int' })
  modelVersion!: number;

  @Column({ type: 'text' })
  deployment!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  kind!: JournalEntry['kind'];

  @Column({ type: 'jsonb' })
  payload!: JournalEntry['entry'];

  @Column({ name: 'event_time', type: 'timestamptz' })
  eventTime!: Date;

  @Column({ name: 'create_time', type: 'timestamptz', default: () => 'now()' })
  createTime!: Date;
}
