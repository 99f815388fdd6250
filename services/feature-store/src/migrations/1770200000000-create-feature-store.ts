import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The feature store's tables. The offline store lives here rather than as S3 snapshots because
 * a point-in-time join is an as-of lookup per (entity, timestamp) across every dataset version,
 * late arrivals included: an index on (view, revision, entity, event time) answers that without
 * reading whole snapshots, and offline rows, online upserts and the outbox event of one
 * materialisation commit in one transaction. Each materialisation is still exported to S3 as a
 * CSV snapshot (the event's `offline_object`) for tools that read files.
 */
export class CreateFeatureStore1770200000000 implements MigrationInterface {
  name = 'CreateFeatureStore1770200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Datasets as the ingestion events describe them: known before a view is applied.
    await queryRunner.query(`
      CREATE TABLE datasets (
        name       text        PRIMARY KEY,
        contract   jsonb       NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE dataset_versions (
        dataset        text        NOT NULL,
        version        integer     NOT NULL,
        object_key     text        NOT NULL,
        object_sha256  text        NOT NULL,
        content_type   text        NOT NULL,
        row_count      bigint      NOT NULL,
        contract       jsonb       NOT NULL,
        event_id       text        NOT NULL,
        committed_at   timestamptz,
        recorded_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dataset, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE feature_views (
        name                         text        NOT NULL,
        revision                     integer     NOT NULL,
        dataset                      text        NOT NULL,
        definition                   jsonb       NOT NULL,
        definition_hash              text        NOT NULL,
        applied_at                   timestamptz NOT NULL,
        applied_by_team              text        NOT NULL DEFAULT '',
        applied_by_token             text        NOT NULL DEFAULT '',
        materialised_dataset_version integer     NOT NULL DEFAULT 0,
        PRIMARY KEY (name, revision)
      )`);
    await queryRunner.query(`CREATE INDEX feature_views_dataset_idx ON feature_views (dataset, name, revision)`);
    // One row per (view revision, dataset version): the claim that makes materialisation
    // happen once, whether triggered by the event, its redelivery or a backfill.
    await queryRunner.query(`
      CREATE TABLE materialisations (
        feature_view     text        NOT NULL,
        revision         integer     NOT NULL,
        dataset_version  integer     NOT NULL,
        row_count        bigint      NOT NULL DEFAULT 0,
        entity_count     bigint      NOT NULL DEFAULT 0,
        skipped_rows     bigint      NOT NULL DEFAULT 0,
        snapshot_key     text,
        snapshot_sha256  text,
        event_time_start timestamptz,
        event_time_end   timestamptz,
        materialised_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (feature_view, revision, dataset_version)
      )`);
    await queryRunner.query(`
      CREATE TABLE offline_features (
        feature_view    text        NOT NULL,
        revision        integer     NOT NULL,
        dataset_version integer     NOT NULL,
        row_index       integer     NOT NULL,
        entity_key      text        NOT NULL,
        event_time      timestamptz NOT NULL,
        "values"        jsonb       NOT NULL,
        PRIMARY KEY (feature_view, revision, dataset_version, row_index)
      )`);
    await queryRunner.query(`CREATE INDEX offline_features_as_of_idx ON offline_features (feature_view, revision, entity_key, event_time)`);
    await queryRunner.query(`
      CREATE TABLE online_features (
        feature_view    text        NOT NULL,
        revision        integer     NOT NULL,
        entity_key      text        NOT NULL,
        event_time      timestamptz NOT NULL,
        dataset_version integer     NOT NULL,
        row_index       integer     NOT NULL,
        "values"        jsonb       NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (feature_view, revision, entity_key)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['online_features', 'offline_features', 'materialisations', 'feature_views', 'dataset_versions', 'datasets']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}

export const FEATURE_STORE_MIGRATIONS = [CreateFeatureStore1770200000000];
