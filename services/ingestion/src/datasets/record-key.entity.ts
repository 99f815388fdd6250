import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A unique key already accepted, with the hash of its content: a repeat is a duplicate, a change a violation. */
@Entity({ name: 'record_keys' })
export class RecordKeyEntity {
  @PrimaryColumn({ type: 'text' })
  dataset!: string;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ name: 'content_sha', type: 'text' })
  contentSha!: string;
}
