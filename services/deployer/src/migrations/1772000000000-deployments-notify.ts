import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { NOTIFY_CHANGE_FUNCTION } from '@flywheel/persistence';

/** A changed deployment announces itself (NOTIFY), so every replica serves it at once instead of polling the table. */
export class DeploymentsNotify1772000000000 implements MigrationInterface {
  name = 'DeploymentsNotify1772000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TRIGGER deployments_notify_change AFTER INSERT OR UPDATE ON deployments FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER deployments_notify_change ON deployments`);
  }
}
