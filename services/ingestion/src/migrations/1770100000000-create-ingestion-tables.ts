import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Datasets, their versions, the records waiting for the next version, the keys already
 * accepted, quarantine and gRPC batches already applied.
 */
export class CreateIngestionTables1770100000000 implements MigrationInterface {
  name = 'CreateIngestionTables1770100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE datasets (
        name                 text        PRIMARY KEY,
        description          text        NOT NULL,
        contract             jsonb       NOT NULL,
        max_rows             integer     NOT NULL CHECK (max_rows > 0),
        max_interval_ms      bigint      NOT NULL CHECK (max_interval_ms > 0),
        owner_team           text        NOT NULL,
        created_at           timestamptz NOT NULL DEFAULT now(),
        latest_version       integer     NOT NULL DEFAULT 0,
        cumulative_rows      bigint      NOT NULL DEFAULT 0,
        -- Maintained under the row lock every ingest takes, so the row-count trigger is exact.
        pending_rows         bigint      NOT NULL DEFAULT 0,
        -- When the oldest pending record arrived: the interval trigger counts from here.
        pending_since        timestamptz,
        quarantined_pending  bigint      NOT NULL DEFAULT 0
      )`);
    await queryRunner.query(`CREATE INDEX datasets_pending_idx ON datasets (pending_since) WHERE pending_rows > 0`);
    await queryRunner.query(`
      CREATE TABLE pending_rows (
        id           bigserial   PRIMARY KEY,
        dataset      text        NOT NULL REFERENCES datasets (name),
        -- kafka:<topic>/<partition>/<offset> or grpc:<batch>/<index>: one record, once.
        origin       text        NOT NULL,
        values       jsonb       NOT NULL,
        event_time   timestamptz,
        received_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (dataset, origin)
      )`);
    await queryRunner.query(`CREATE INDEX pending_rows_dataset_idx ON pending_rows (dataset, id)`);
    await queryRunner.query(`
      CREATE TABLE record_keys (
        dataset      text NOT NULL REFERENCES datasets (name),
        key          text NOT NULL,
        content_sha  text NOT NULL,
        PRIMARY KEY (dataset, key)
      )`);
    await queryRunner.query(`
      CREATE TABLE dataset_versions (
        dataset            text        NOT NULL REFERENCES datasets (name),
        version            integer     NOT NULL,
        row_count          bigint      NOT NULL,
        cumulative_rows    bigint      NOT NULL,
        object_key         text        NOT NULL,
        sha256             text        NOT NULL,
        size_bytes         bigint      NOT NULL,
        content_type       text        NOT NULL,
        profile            jsonb       NOT NULL,
        event_time_start   timestamptz,
        event_time_end     timestamptz,
        trigger            integer     NOT NULL,
        committed_at       timestamptz NOT NULL DEFAULT now(),
        quarantined_count  bigint      NOT NULL,
        PRIMARY KEY (dataset, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE quarantined_records (
        seq             bigserial   PRIMARY KEY,
        id              uuid        NOT NULL UNIQUE,
        dataset         text        NOT NULL REFERENCES datasets (name),
        raw             text        NOT NULL,
        violations      jsonb       NOT NULL,
        origin          text        NOT NULL,
        quarantined_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX quarantined_records_dataset_idx ON quarantined_records (dataset, seq DESC)`);
    await queryRunner.query(`
      CREATE TABLE ingest_batches (
        dataset      text        NOT NULL REFERENCES datasets (name),
        batch_id     text        NOT NULL,
        summary      jsonb       NOT NULL,
        applied_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dataset, batch_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['ingest_batches', 'quarantined_records', 'dataset_versions', 'record_keys', 'pending_rows', 'datasets']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
