import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Every change of a deployment, newest DEPLOYMENT_CHANGES_KEPT per deployment, for
 * ListDeploymentChanges: by deployment or by model, newest first (change time, then id).
 */
export class DeploymentChanges1776000000000 implements MigrationInterface {
  name = 'DeploymentChanges1776000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE deployment_changes (
        id text PRIMARY KEY,
        deployment text NOT NULL,
        model_name text NOT NULL,
        change_time timestamptz NOT NULL,
        change bytea NOT NULL
      )`);
    // Both serve the list's order (and the pruning's) as they are scanned.
    await queryRunner.query(`CREATE INDEX deployment_changes_deployment ON deployment_changes (deployment, change_time DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX deployment_changes_model ON deployment_changes (model_name, change_time DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE deployment_changes`);
  }
}
