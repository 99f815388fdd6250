import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** `production` → 3: which version an alias of a model points at. */
@Entity({ name: 'model_aliases' })
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @PrimaryColumn({ type: 'text' })
  alias!: string;

  @Column({ type: 'integer' })
  version!: number;

  @UpdateDateColumn({ name: 'update_time', type: 'timestamptz' })
  updateTime!: Date;
}
