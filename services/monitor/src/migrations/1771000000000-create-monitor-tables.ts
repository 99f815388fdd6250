import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { FoldNotify1772000000000 } from './1772000000000-fold-notify';

/**
 * The monitor's state. Window summaries live in `monitor_windows.state` (a few kilobytes per
 * model version, independent of the window size); `window_journal` holds only the predictions
 * and joined labels committed since the last fold, so a crash between two folds loses nothing.
 */
export class CreateMonitorTables1771000000000 implements MigrationInterface {
  name = 'CreateMonitorTables1771000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE monitoring_policies (
        model_name text PRIMARY KEY,
        policy jsonb NOT NULL,
        update_time timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE reference_profiles (
        model_name text NOT NULL,
        model_version int NOT NULL,
        task int NOT NULL,
        profile jsonb NOT NULL,
        column_types jsonb NOT NULL,
        reference jsonb,
        metric text,
        reference_value double precision,
        prediction_baseline jsonb,
        source_event_id text NOT NULL,
        update_time timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_name, model_version)
      )`);
    await queryRunner.query(`
      CREATE TABLE deployments (
        deployment text PRIMARY KEY,
        model_name text NOT NULL,
        stable_version int NOT NULL,
        canary_version int NOT NULL,
        update_time timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX deployments_model ON deployments (model_name, update_time DESC)`);
    await queryRunner.query(`
      CREATE TABLE prediction_index (
        request_id text PRIMARY KEY,
        model_name text,
        model_version int,
        deployment text,
        task int,
        predicted jsonb,
        predict_time timestamptz,
        label jsonb,
        label_time timestamptz,
        create_time timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX prediction_index_create_time ON prediction_index (create_time)`);
    await queryRunner.query(`
      CREATE TABLE window_journal (
        id bigserial PRIMARY KEY,
        model_name text NOT NULL,
        model_version int NOT NULL,
        deployment text NOT NULL,
        event_id text NOT NULL,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        event_time timestamptz NOT NULL,
        create_time timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX window_journal_stream ON window_journal (model_name, model_version, id)`);
    await queryRunner.query(`
      CREATE TABLE monitor_windows (
        window_id uuid PRIMARY KEY,
        model_name text NOT NULL,
        model_version int NOT NULL,
        deployment text NOT NULL DEFAULT '',
        sequence int NOT NULL,
        status text NOT NULL,
        start_time timestamptz,
        end_time timestamptz,
        predictions bigint NOT NULL DEFAULT 0,
        labelled bigint NOT NULL DEFAULT 0,
        metric text,
        metric_value double precision,
        state jsonb,
        revision bigint NOT NULL DEFAULT 0,
        closed_by_event text,
        report_id uuid,
        close_time timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX monitor_windows_open ON monitor_windows (model_name, model_version) WHERE status = 'open'`,
    );
    await queryRunner.query(`CREATE INDEX monitor_windows_stream ON monitor_windows (model_name, model_version, sequence DESC)`);
    await queryRunner.query(`
      CREATE TABLE drift_reports (
        report_id uuid PRIMARY KEY,
        model_name text NOT NULL,
        model_version int NOT NULL,
        window_id uuid NOT NULL,
        dataset_drift boolean NOT NULL,
        report bytea NOT NULL,
        create_time timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX drift_reports_model ON drift_reports (model_name, create_time DESC)`);
    await queryRunner.query(`
      CREATE TABLE alerts (
        alert_id uuid PRIMARY KEY,
        model_name text NOT NULL,
        model_version int NOT NULL,
        kind int NOT NULL,
        message text NOT NULL,
        report_id text NOT NULL DEFAULT '',
        event_id text NOT NULL DEFAULT '',
        raise_time timestamptz NOT NULL,
        notify_time timestamptz NOT NULL,
        resolve_time timestamptz,
        suppressed int NOT NULL DEFAULT 0
      )`);
    await queryRunner.query(`CREATE INDEX alerts_model ON alerts (model_name, raise_time DESC)`);
    await queryRunner.query(`CREATE UNIQUE INDEX alerts_open ON alerts (model_name, model_version, kind) WHERE resolve_time IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'alerts',
      'drift_reports',
      'monitor_windows',
      'window_journal',
      'prediction_index',
      'deployments',
      'reference_profiles',
      'monitoring_policies',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}

export const MONITOR_MIGRATIONS = [CreateMonitorTables1771000000000, FoldNotify1772000000000];
