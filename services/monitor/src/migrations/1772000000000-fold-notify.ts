import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { NOTIFY_CHANGE_FUNCTION } from '@flywheel/persistence';

/**
 * What gives the window folder work announces itself (NOTIFY), so every monitor process folds
 * at once instead of polling: journalled entries, a changed policy, a reference that entries
 * waited for.
 */
export class FoldNotify1772000000000 implements MigrationInterface {
  name = 'FoldNotify1772000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, events] of FOLD_TRIGGERS) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_notify_change AFTER ${events} ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table] of FOLD_TRIGGERS) await queryRunner.query(`DROP TRIGGER ${table}_notify_change ON ${table}`);
  }
}

/** The folder's own deletes (of folded entries) announce nothing: they are no news to anyone. */
const FOLD_TRIGGERS = [
  ['window_journal', 'INSERT'],
  ['monitoring_policies', 'INSERT OR UPDATE'],
  ['reference_profiles', 'INSERT OR UPDATE'],
] as const;
