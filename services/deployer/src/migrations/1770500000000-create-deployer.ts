import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateDeployer1770500000000 implements MigrationInterface {
  name = 'CreateDeployer1770500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_versions (
        model_name text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        artifact_key text NOT NULL,
        artifact_sha256 text NOT NULL CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
        artifact_size_bytes bigint NOT NULL,
        feature_view text NOT NULL DEFAULT '',
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (model_name, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE deployments (
        name text PRIMARY KEY,
        model_name text NOT NULL,
        alias text NOT NULL DEFAULT '',
        state text NOT NULL CHECK (state IN ('PENDING', 'STABLE', 'CANARY')),
        stable_version integer NOT NULL DEFAULT 0,
        previous_stable_version integer NOT NULL DEFAULT 0,
        canary_version integer NOT NULL DEFAULT 0,
        canary_traffic_share double precision NOT NULL DEFAULT 0,
        canary_start_time timestamptz,
        canary_event_id text,
        policy jsonb NOT NULL,
        feature_view text NOT NULL DEFAULT '',
        revision integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK ((state = 'CANARY') = (canary_version > 0))
      )`);
    // Alias moves find the deployments that follow the alias of the model.
    await queryRunner.query(`CREATE INDEX deployments_model_alias ON deployments (model_name, alias)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE deployments`);
    await queryRunner.query(`DROP TABLE model_versions`);
  }
}
