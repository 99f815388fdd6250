import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Staged batches live for seconds and are read once: compressing each megabyte of JSON on
 * insert (TOAST's default) cost the database server more CPU than it saved, on a machine the
 * service shares. They are stored out of line, uncompressed.
 */
export class UncompressedPendingBatches1770100000002 implements MigrationInterface {
  name = 'UncompressedPendingBatches1770100000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pending_batches ALTER COLUMN records SET STORAGE EXTERNAL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pending_batches ALTER COLUMN records SET STORAGE EXTENDED`);
  }
}
