import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Parked outbox rows: an event that cannot be published (larger than the broker accepts, or
 * refused after every retry) is set aside with its reason, so the events behind it go on.
 */
export class OutboxParking1760000000001 implements MigrationInterface {
  name = 'OutboxParking1760000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN parked_at timestamptz, ADD COLUMN parked_reason text`);
    await queryRunner.query(`DROP INDEX outbox_unpublished_idx`);
    await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL AND parked_at IS NULL`);
    await queryRunner.query(`CREATE INDEX outbox_parked_idx ON outbox (id) WHERE parked_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX outbox_parked_idx`);
    await queryRunner.query(`DROP INDEX outbox_unpublished_idx`);
    await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN parked_reason, DROP COLUMN parked_at`);
  }
}
