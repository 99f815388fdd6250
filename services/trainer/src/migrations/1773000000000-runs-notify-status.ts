import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { NOTIFY_CHANGE_FUNCTION } from '@flywheel/persistence';

/**
 * A run whose status changes announces itself too: a cancelled run (CancelRun, in any trainer
 * process) is heard at once by the process training it, which stops. Per row and only for a
 * real change: a statement-level trigger would also fire for a claim that found nothing to
 * claim, and the claim it wakes would wake the next — a loop. Lease renewals stay silent.
 */
export class RunsNotifyStatus1773000000000 implements MigrationInterface {
  name = 'RunsNotifyStatus1773000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TRIGGER runs_notify_status AFTER UPDATE OF status ON runs FOR EACH ROW
       WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER runs_notify_status ON runs`);
  }
}
