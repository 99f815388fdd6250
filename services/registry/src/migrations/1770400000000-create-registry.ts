import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Models, their versions and aliases, promotion policies and the audit log. */
export class CreateRegistry1770400000000 implements MigrationInterface {
  name = 'CreateRegistry1770400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE models (
        name           text        PRIMARY KEY,
        description    text        NOT NULL DEFAULT '',
        tags           jsonb       NOT NULL DEFAULT '{}'::jsonb,
        owner_team     text        NOT NULL DEFAULT '',
        latest_version integer     NOT NULL DEFAULT 0,
        create_time    timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE model_versions (
        model_name            text        NOT NULL REFERENCES models (name),
        version               integer     NOT NULL CHECK (version > 0),
        run_id                text        NOT NULL,
        artifact_key          text        NOT NULL,
        artifact_sha256       text        NOT NULL,
        metric                text        NOT NULL,
        dataset               text        NOT NULL,
        feature_view          text        NOT NULL,
        feature_view_revision integer     NOT NULL,
        metrics               jsonb       NOT NULL,
        payload               bytea       NOT NULL,
        create_time           timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_name, version)
      )`);
    // One version per run, however often its RunCompleted is delivered or re-sent.
    await queryRunner.query(`CREATE UNIQUE INDEX model_versions_run_id_idx ON model_versions (run_id)`);
    await queryRunner.query(`
      CREATE TABLE model_aliases (
        model_name  text        NOT NULL,
        alias       text        NOT NULL,
        version     integer     NOT NULL,
        update_time timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_name, alias),
        FOREIGN KEY (model_name, version) REFERENCES model_versions (model_name, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE promotion_policies (
        model_name               text             PRIMARY KEY REFERENCES models (name),
        auto_promote             boolean          NOT NULL,
        alias                    text             NOT NULL,
        metric                   text             NOT NULL,
        min_absolute_improvement double precision NOT NULL,
        min_relative_improvement double precision NOT NULL,
        min_holdout_rows         integer          NOT NULL,
        update_time              timestamptz      NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_log (
        seq              bigserial        PRIMARY KEY,
        id               uuid             NOT NULL UNIQUE,
        time             timestamptz      NOT NULL,
        model_name       text             NOT NULL,
        version          integer          NOT NULL DEFAULT 0,
        alias            text             NOT NULL DEFAULT '',
        previous_version integer          NOT NULL DEFAULT 0,
        action           text             NOT NULL,
        actor_team       text             NOT NULL DEFAULT '',
        actor_token_id   text             NOT NULL DEFAULT '',
        actor_service    text             NOT NULL DEFAULT '',
        reasons          jsonb            NOT NULL DEFAULT '[]'::jsonb,
        metric           text,
        champion_value   double precision,
        challenger_value double precision,
        comparison       bytea,
        event_id         text             NOT NULL DEFAULT '',
        cause_event_id   text             NOT NULL DEFAULT ''
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_model_idx ON audit_log (model_name, seq DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_log`);
    await queryRunner.query(`DROP TABLE promotion_policies`);
    await queryRunner.query(`DROP TABLE model_aliases`);
    await queryRunner.query(`DROP TABLE model_versions`);
    await queryRunner.query(`DROP TABLE models`);
  }
}
