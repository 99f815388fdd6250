import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createNotifyFunctionSql, NOTIFY_CHANGE_FUNCTION } from '../../table-changes/notify-on-change';

/**
 * Commits announce themselves (LISTEN/NOTIFY) instead of being found by polling: the shared
 * trigger function every service's tables use, and the outbox's trigger, so that a relay hears
 * rows written by another process at once (a new row, or a parked one a person re-queued).
 */
export class OutboxNotify1760000000002 implements MigrationInterface {
  name = 'OutboxNotify1760000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(createNotifyFunctionSql());
    await queryRunner.query(`CREATE TRIGGER outbox_notify_change AFTER INSERT OR UPDATE OF parked_at ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER outbox_notify_change ON outbox`);
    await queryRunner.query(`DROP FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`);
  }
}
