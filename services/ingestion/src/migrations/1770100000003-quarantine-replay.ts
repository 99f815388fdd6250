import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A quarantined record can be replayed once, after its dataset's contract was relaxed: the
 * entry keeps when and with what outcome. Listings and replays read the records still waiting,
 * oldest or newest first, through a partial index of those alone.
 */
export class QuarantineReplay1770100000003 implements MigrationInterface {
  name = 'QuarantineReplay1770100000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE quarantined_records ADD COLUMN replayed_at timestamptz, ADD COLUMN replay_outcome smallint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`CREATE INDEX quarantined_records_waiting_idx ON quarantined_records (dataset, seq) WHERE replayed_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX quarantined_records_waiting_idx`);
    await queryRunner.query(`ALTER TABLE quarantined_records DROP COLUMN replayed_at, DROP COLUMN replay_outcome`);
  }
}
