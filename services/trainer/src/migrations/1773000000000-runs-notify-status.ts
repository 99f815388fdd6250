import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { NOTIFY_CHANGE_FUNCTION } from '@flywheel/persistence';

/**
 * A run whose status changes announces itself too: a cancelled run (CancelRun, in any trainer
 * process) is heard at once by the process training it, which stops. Lease renewals, which
 * touch only the lease, stay silent.
 */
export class RunsNotifyStatus1773000000000 implements MigrationInterface {
  name = 'RunsNotifyStatus1773000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER runs_notify_change ON runs`);
    await queryRunner.query(
      `CREATE TRIGGER runs_notify_change AFTER INSERT OR UPDATE OF status ON runs FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER runs_notify_change ON runs`);
    await queryRunner.query(
      `CREATE TRIGGER runs_notify_change AFTER INSERT ON runs FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
  }
}
