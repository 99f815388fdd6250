import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Batch ingestion: records are staged a batch per row without locking the dataset row, so the
 * counters kept under that lock go; redelivery is recognised by each partition's next offset
 * (one row per partition, written with the batch) instead of a unique origin per staged row; a
 * quarantined record keeps its size and hash and learns the version whose window it fell into.
 */
export class BatchIngestion1770100000001 implements MigrationInterface {
  name = 'BatchIngestion1770100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ingest_offsets (
        topic        text        NOT NULL,
        partition    integer     NOT NULL,
        dataset      text        NOT NULL REFERENCES datasets (name),
        -- The offset of the first record not yet applied.
        next_offset  bigint      NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, partition)
      )`);
    // Staged records are written and read whole, never queried one by one: a staged batch is one
    // row (its values as one JSON array), so staging costs a row per batch, not per record. The
    // hot table has no foreign key (a check and a KEY SHARE lock on the dataset per insert).
    await queryRunner.query(`
      CREATE TABLE pending_batches (
        id           bigserial   NOT NULL,
        dataset      text        NOT NULL,
        -- Where the batch came from, e.g. kafka:<topic>/<partition>/<first>-<last>.
        origin       text        NOT NULL,
        row_count    integer     NOT NULL CHECK (row_count > 0),
        -- JSON array of the records' values, in arrival order.
        records      text        NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dataset, id)
      )`);
    await queryRunner.query(`
      INSERT INTO pending_batches (dataset, origin, row_count, records, received_at)
      SELECT dataset, 'staged before batch ingestion', count(*), json_agg(values ORDER BY id)::text, min(received_at)
      FROM pending_rows GROUP BY dataset`);
    await queryRunner.query(`DROP TABLE pending_rows`);
    await queryRunner.query(`
      CREATE TABLE unregistered_ingest_topics (
        topic          text        PRIMARY KEY,
        -- Records sent to <topic>.dlq because no dataset owned the topic.
        dead_lettered  bigint      NOT NULL DEFAULT 0,
        first_seen     timestamptz NOT NULL DEFAULT now(),
        last_seen      timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`ALTER TABLE quarantined_records ADD COLUMN version integer`);
    await queryRunner.query(`ALTER TABLE quarantined_records ADD COLUMN raw_size_bytes bigint`);
    await queryRunner.query(`ALTER TABLE quarantined_records ADD COLUMN raw_sha256 text`);
    await queryRunner.query(`
      UPDATE quarantined_records q SET
        version = CASE WHEN d.quarantined_pending > 0 THEN NULL ELSE d.latest_version END,
        raw_size_bytes = octet_length(q.raw),
        raw_sha256 = encode(sha256(convert_to(q.raw, 'UTF8')), 'hex')
      FROM datasets d WHERE d.name = q.dataset`);
    await queryRunner.query(`ALTER TABLE quarantined_records ALTER COLUMN raw_size_bytes SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE quarantined_records ALTER COLUMN raw_sha256 SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX quarantined_records_unversioned_idx ON quarantined_records (dataset) WHERE version IS NULL`);
    await queryRunner.query(`ALTER TABLE datasets DROP COLUMN pending_rows, DROP COLUMN pending_since, DROP COLUMN quarantined_pending`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE datasets
        ADD COLUMN pending_rows bigint NOT NULL DEFAULT 0,
        ADD COLUMN pending_since timestamptz,
        ADD COLUMN quarantined_pending bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      UPDATE datasets d SET
        pending_rows = (SELECT count(*) FROM pending_rows p WHERE p.dataset = d.name),
        pending_since = (SELECT min(received_at) FROM pending_rows p WHERE p.dataset = d.name),
        quarantined_pending = (SELECT count(*) FROM quarantined_records q WHERE q.dataset = d.name AND q.version IS NULL)`);
    await queryRunner.query(`CREATE INDEX datasets_pending_idx ON datasets (pending_since) WHERE pending_rows > 0`);
    await queryRunner.query(`DROP INDEX quarantined_records_unversioned_idx`);
    await queryRunner.query(`ALTER TABLE quarantined_records DROP COLUMN version, DROP COLUMN raw_size_bytes, DROP COLUMN raw_sha256`);
    await queryRunner.query(`
      CREATE TABLE pending_rows (
        id           bigserial   PRIMARY KEY,
        dataset      text        NOT NULL REFERENCES datasets (name),
        origin       text        NOT NULL,
        values       jsonb       NOT NULL,
        event_time   timestamptz,
        received_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (dataset, origin)
      )`);
    await queryRunner.query(`CREATE INDEX pending_rows_dataset_idx ON pending_rows (dataset, id)`);
    await queryRunner.query(`
      INSERT INTO pending_rows (dataset, origin, values, received_at)
      SELECT b.dataset, b.origin || '#' || r.n, r.v, b.received_at
      FROM pending_batches b CROSS JOIN LATERAL jsonb_array_elements(b.records::jsonb) WITH ORDINALITY AS r(v, n)
      ORDER BY b.id, r.n`);
    await queryRunner.query(`DROP TABLE pending_batches`);
    await queryRunner.query(`DROP TABLE unregistered_ingest_topics`);
    await queryRunner.query(`DROP TABLE ingest_offsets`);
  }
}
