import { randomUUID } from 'node:crypto';
import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { trainerV1 } from '@flywheel/contracts';
import { NOTIFY_CHANGE_FUNCTION } from '@flywheel/persistence';
import { type RawParam } from '../runs/model-spec';
import { trialSpec } from '../runs/trial-runs';

interface StoredTrial {
  params: Record<string, RawParam>;
  metricValue: number;
  rows?: number;
}

/**
 * A search's trials become runs of their own, children of the search's run, as tracking
 * servers keep them: each can be read, listed and compared like any run. The trials kept as a
 * JSON list in their search's row move into child runs. The runs listed by default are the
 * ones that are not trials; their indexes say so. An insert wakes the trainers (NOTIFY) only
 * when it queues a run, not when it writes a search's trials.
 */
export class TrialRuns1774000000000 implements MigrationInterface {
  name = 'TrialRuns1774000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE runs
        ADD COLUMN parent_run_id uuid REFERENCES runs (id) ON DELETE CASCADE,
        ADD COLUMN trial_number integer,
        ADD COLUMN trial_rows integer,
        ADD CONSTRAINT runs_trial_number CHECK ((parent_run_id IS NULL) = (trial_number IS NULL)),
        ADD CONSTRAINT runs_one_trial_per_number UNIQUE (parent_run_id, trial_number)`);
    const searches: Array<{
      id: string;
      model_name: string;
      trigger: string;
      spec: Buffer;
      seed: string;
      trials: StoredTrial[];
      actor_team: string;
      actor_token_id: string;
      actor_service: string;
      started_at: Date | null;
      ended_at: Date | null;
    }> = await queryRunner.query(
      `SELECT id, model_name, trigger, spec, seed, trials, actor_team, actor_token_id, actor_service, started_at, ended_at
       FROM runs WHERE jsonb_array_length(trials) > 0`,
    );
    for (const search of searches) {
      const spec = trainerV1.ModelSpec.decode(search.spec);
      // When each trial ran was not kept: they are recorded as running for the whole search.
      const startedAt = search.started_at ?? search.ended_at;
      const endedAt = search.ended_at ?? search.started_at;
      for (const [i, trial] of search.trials.entries()) {
        await queryRunner.query(
          `INSERT INTO runs (id, parent_run_id, trial_number, trial_rows, model_name, status, trigger, spec, seed, params, metrics,
             actor_team, actor_token_id, actor_service, duration_ms, created_at, started_at, ended_at)
           VALUES ($1, $2, $3, $4, $5, 'SUCCEEDED', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)`,
          [
            randomUUID(),
            search.id,
            i + 1,
            trial.rows ?? null,
            search.model_name,
            search.trigger,
            Buffer.from(trainerV1.ModelSpec.encode(trialSpec(spec, trial.params)).finish()),
            search.seed,
            JSON.stringify(trial.params),
            JSON.stringify({ [spec.metric]: trial.metricValue }),
            search.actor_team,
            search.actor_token_id,
            search.actor_service,
            startedAt && endedAt ? endedAt.getTime() - startedAt.getTime() : null,
            startedAt,
            endedAt,
          ],
        );
      }
    }
    await queryRunner.query(`ALTER TABLE runs DROP COLUMN trials`);

    await queryRunner.query(`DROP INDEX runs_by_model`);
    await queryRunner.query(`DROP INDEX runs_by_time`);
    await queryRunner.query(`CREATE INDEX runs_by_model ON runs (model_name, created_at DESC, id DESC) WHERE parent_run_id IS NULL`);
    await queryRunner.query(`CREATE INDEX runs_by_time ON runs (created_at DESC, id DESC) WHERE parent_run_id IS NULL`);

    await queryRunner.query(`DROP TRIGGER runs_notify_change ON runs`);
    await queryRunner.query(
      `CREATE TRIGGER runs_notify_change AFTER INSERT ON runs FOR EACH ROW
       WHEN (NEW.status = 'QUEUED') EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER runs_notify_change ON runs`);
    await queryRunner.query(
      `CREATE TRIGGER runs_notify_change AFTER INSERT ON runs FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`,
    );
    await queryRunner.query(`ALTER TABLE runs ADD COLUMN trials jsonb NOT NULL DEFAULT '[]'`);
    await queryRunner.query(`
      UPDATE runs AS search SET trials = (
        SELECT jsonb_agg(
                 jsonb_build_object('params', trial.params, 'metricValue', (SELECT value FROM jsonb_each(trial.metrics) LIMIT 1), 'rows', trial.trial_rows)
                 ORDER BY trial.trial_number)
        FROM runs AS trial WHERE trial.parent_run_id = search.id)
      WHERE EXISTS (SELECT 1 FROM runs AS trial WHERE trial.parent_run_id = search.id)`);
    await queryRunner.query(`DELETE FROM runs WHERE parent_run_id IS NOT NULL`);
    await queryRunner.query(`DROP INDEX runs_by_model`);
    await queryRunner.query(`DROP INDEX runs_by_time`);
    await queryRunner.query(`CREATE INDEX runs_by_model ON runs (model_name, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX runs_by_time ON runs (created_at DESC, id DESC)`);
    await queryRunner.query(
      `ALTER TABLE runs DROP CONSTRAINT runs_one_trial_per_number, DROP CONSTRAINT runs_trial_number,
         DROP COLUMN trial_rows, DROP COLUMN trial_number, DROP COLUMN parent_run_id`,
    );
  }
}
