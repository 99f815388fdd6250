import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A model's own promotion policy; a model without a row follows the configured defaults. */
@Entity({ name: 'promotion_policies' })
export class PromotionPolicyEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'auto_promote', type: 'boolean' })
  autoPromote!: boolean;

  @Column({ type: 'text' })
  alias!: string;

  @Column({ type: 'text' })
  metric!: string;

  @Column({ name: 'min_absolute_improvement', type: 'double precision' })
  minAbsoluteImprovement!: number;

  @Column({ name: 'min_relative_improvement', type: 'double precision' })
  minRelativeImprovement!: number;

  @Column({ name: 'min_holdout_rows', type: 'integer' })
  minHoldoutRows!: number;

  @Column({ name: 'auto_deploy', type: 'boolean', default: true })
  autoDeploy!: boolean;

  @UpdateDateColumn({ name: 'update_time', type: 'timestamptz' })
  updateTime!: Date;
}
