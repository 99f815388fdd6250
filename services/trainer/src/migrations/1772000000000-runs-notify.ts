import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { NOTIFY_CHANGE_FUNCTION } from '@flywheel/persistence';

/** A queued run announces itself (NOTIFY), so every trainer process claims it at once instead of polling the queue. */
export class RunsNotify1772000000000 implements MigrationInterface {
  name = 'RunsNotify1772000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TRIGGER runs_notify_change AFTER INSERT ON runs FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER runs_notify_change ON runs`);
  }
}
