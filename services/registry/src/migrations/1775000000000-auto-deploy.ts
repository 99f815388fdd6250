import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** A model's promotion policy says whether the deployer creates its deployment on its own; as before, it does. */
export class AutoDeploy1775000000000 implements MigrationInterface {
  name = 'AutoDeploy1775000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE promotion_policies ADD COLUMN auto_deploy boolean NOT NULL DEFAULT true`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE promotion_policies DROP COLUMN auto_deploy`);
  }
}
