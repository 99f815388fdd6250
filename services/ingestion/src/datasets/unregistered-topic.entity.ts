import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';

/** An ingest topic that received records while no dataset owned it; they went to its DLQ. */
@Entity({ name: 'unregistered_ingest_topics' })
export class UnregisteredTopicEntity {
  @PrimaryColumn({ type: 'text' })
  topic!: string;

  @Column({ name: 'dead_lettered', type: 'bigint', transformer: bigintAsNumber })
  deadLettered!: number;

  @Column({ name: 'first_seen', type: 'timestamptz' })
  firstSeen!: Date;

  @Column({ name: 'last_seen', type: 'timestamptz' })
  lastSeen!: Date;
}
