import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Runs (the experiment-tracking record and the job queue), per-model state, the retraining policy and its decisions. */
export class CreateTrainerTables1770300000000 implements MigrationInterface {
  name = 'CreateTrainerTables1770300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY,
        model_name text NOT NULL,
        -- SubmitTraining's idempotency key and the TrainModel command's ce_id: one run each.
        request_id text UNIQUE,
        cause_event_id text UNIQUE,
        decision_id uuid,
        status text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        trigger text NOT NULL,
        spec bytea NOT NULL,
        seed bigint NOT NULL,
        params jsonb NOT NULL DEFAULT '{}',
        metrics jsonb NOT NULL DEFAULT '{}',
        trials jsonb NOT NULL DEFAULT '[]',
        artifact jsonb,
        lineage bytea,
        holdout bytea,
        failure_code text,
        error text NOT NULL DEFAULT '',
        actor_team text NOT NULL DEFAULT '',
        actor_token_id text NOT NULL DEFAULT '',
        actor_service text NOT NULL DEFAULT '',
        attempts integer NOT NULL DEFAULT 0,
        lease_owner text,
        lease_until timestamptz,
        duration_ms double precision,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        ended_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX runs_by_model ON runs (model_name, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX runs_by_time ON runs (created_at DESC, id DESC)`);
    // The queue: only unfinished runs, oldest first.
    await queryRunner.query(`CREATE INDEX runs_unfinished ON runs (created_at) WHERE status IN ('QUEUED', 'RUNNING')`);

    // One row per model: the spec of its last successful run (what the policy retrains) and the
    // row the retraining policy locks, so that concurrent triggers for a model decide one at a time.
    await queryRunner.query(`
      CREATE TABLE model_states (
        model_name text PRIMARY KEY,
        last_success_run_id uuid,
        last_spec bytea,
        dataset text,
        dataset_version_to integer,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE retraining_policies (
        model_name text PRIMARY KEY,
        enabled boolean NOT NULL,
        cooldown_ms bigint NOT NULL,
        daily_budget integer NOT NULL,
        min_new_rows bigint NOT NULL,
        spec bytea,
        on_drift boolean NOT NULL,
        on_performance_degraded boolean NOT NULL,
        updated_by text NOT NULL DEFAULT '',
        updated_at timestamptz NOT NULL
      )`);

    await queryRunner.query(`
      CREATE TABLE retraining_decisions (
        id uuid PRIMARY KEY,
        model_name text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('ACTED', 'DECLINED')),
        decline_reasons text[] NOT NULL,
        reasons text[] NOT NULL,
        trigger_event_id text NOT NULL,
        trigger_event_type text NOT NULL,
        run_id uuid,
        new_rows bigint NOT NULL,
        runs_today integer NOT NULL,
        cooldown_until timestamptz,
        decided_at timestamptz NOT NULL,
        -- A trigger is decided once per model, whatever redelivers it.
        UNIQUE (model_name, trigger_event_id)
      )`);
    await queryRunner.query(`CREATE INDEX retraining_decisions_by_model ON retraining_decisions (model_name, decided_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX retraining_decisions_by_time ON retraining_decisions (decided_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX retraining_decisions_acted ON retraining_decisions (model_name, decided_at) WHERE outcome = 'ACTED'`,
    );

    // Committed dataset versions (from ingestion's events): the policy's measure of new data.
    await queryRunner.query(`
      CREATE TABLE dataset_versions (
        dataset text NOT NULL,
        version integer NOT NULL,
        row_count bigint NOT NULL,
        committed_at timestamptz,
        PRIMARY KEY (dataset, version)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dataset_versions`);
    await queryRunner.query(`DROP TABLE retraining_decisions`);
    await queryRunner.query(`DROP TABLE retraining_policies`);
    await queryRunner.query(`DROP TABLE model_states`);
    await queryRunner.query(`DROP TABLE runs`);
  }
}
