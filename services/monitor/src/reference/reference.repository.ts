import { Inject, Injectable } from '@nestjs/common';
import { commonV1 } from '@flywheel/contracts';
import { type DataProfile } from '@flywheel/ml';
import { DataSource, type EntityManager } from 'typeorm';
import { type Reference } from '../windows/window-judge';

interface ReferenceRow {
  model_name: string;
  model_version: number;
  task: number;
  profile: DataProfile;
  column_types: Record<string, commonV1.ColumnType>;
  reference: unknown;
  metric: string | null;
  reference_value: number | null;
  prediction_baseline: Record<string, number> | null;
}

/** Training profiles per model version, and which version each deployment serves. */
@Injectable()
export class ReferenceRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Stores (or refreshes) a version's reference; a prediction baseline already learnt is kept. */
  async save(manager: EntityManager, reference: Reference, sourceEventId: string): Promise<void> {
    await manager.query(
      `INSERT INTO reference_profiles (model_name, model_version, task, profile, column_types, reference, metric, reference_value, source_event_id, update_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (model_name, model_version) DO UPDATE SET task = EXCLUDED.task, profile = EXCLUDED.profile,
         column_types = EXCLUDED.column_types, reference = EXCLUDED.reference, metric = EXCLUDED.metric,
         reference_value = EXCLUDED.reference_value, source_event_id = EXCLUDED.source_event_id, update_time = now()`,
      [
        reference.modelName,
        reference.modelVersion,
        reference.task,
        JSON.stringify(reference.profile),
        JSON.stringify(reference.columnTypes),
        reference.source ? JSON.stringify(reference.source) : null,
        reference.metric,
        reference.referenceValue,
        sourceEventId,
      ],
    );
  }

  async find(modelName: string, modelVersion: number, manager: EntityManager = this.dataSource.manager): Promise<Reference | null> {
    const [row]: ReferenceRow[] = await manager.query(`SELECT * FROM reference_profiles WHERE model_name = $1 AND model_version = $2`, [modelName, modelVersion]);
    return row ? toReference(row) : null;
  }

  async setPredictionBaseline(manager: EntityManager, modelName: string, modelVersion: number, baseline: Record<string, number>): Promise<void> {
    await manager.query(
      `UPDATE reference_profiles SET prediction_baseline = $3 WHERE model_name = $1 AND model_version = $2 AND prediction_baseline IS NULL`,
      [modelName, modelVersion, JSON.stringify(baseline)],
    );
  }

  async saveDeployment(manager: EntityManager, d: { deployment: string; modelName: string; stableVersion: number; canaryVersion: number; time: Date }): Promise<void> {
    await manager.query(
      `INSERT INTO deployments (deployment, model_name, stable_version, canary_version, update_time) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (deployment) DO UPDATE SET model_name = EXCLUDED.model_name, stable_version = EXCLUDED.stable_version,
         canary_version = EXCLUDED.canary_version, update_time = EXCLUDED.update_time
       WHERE deployments.update_time <= EXCLUDED.update_time`,
      [d.deployment, d.modelName, d.stableVersion, d.canaryVersion, d.time],
    );
  }

  /**
   * The version GetModelHealth describes: the stable version of the model's latest deployment,
   * else the newest version that has predictions, else the newest version with a reference.
   */
  async watchedVersion(modelName: string): Promise<number | null> {
    const [row] = await this.dataSource.query(
      `SELECT COALESCE(
         (SELECT stable_version FROM deployments WHERE model_name = $1 AND stable_version > 0 ORDER BY update_time DESC LIMIT 1),
         (SELECT model_version FROM monitor_windows WHERE model_name = $1 AND (predictions > 0 OR status = 'closed') ORDER BY model_version DESC LIMIT 1),
         (SELECT model_version FROM reference_profiles WHERE model_name = $1 ORDER BY model_version DESC LIMIT 1)
       ) AS version`,
      [modelName],
    );
    return row?.version ?? null;
  }
}

function toReference(row: ReferenceRow): Reference {
  return {
    modelName: row.model_name,
    modelVersion: row.model_version,
    task: row.task,
    profile: row.profile,
    columnTypes: row.column_types,
    source: row.reference ? commonV1.ObjectRef.fromPartial(row.reference as commonV1.ObjectRef) : null,
    metric: row.metric,
    referenceValue: row.reference_value,
    predictionBaseline: row.prediction_baseline,
  };
}
