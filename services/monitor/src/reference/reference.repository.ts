import { Inject, Injectable } from '@nestjs/common';
import { commonV1 } from '@flywheel/contracts';
import { queryRows } from '@flywheel/persistence';
import { DataSource, type EntityManager, IsNull, MoreThan } from 'typeorm';
import { MonitorWindowEntity } from '../windows/monitor-window.entity';
import { type Reference } from '../windows/window-judge';
import { DeploymentEntity } from './deployment.entity';
import { ReferenceProfileEntity } from './reference-profile.entity';

export interface DeploymentChange {
  readonly deployment: string;
  readonly modelName: string;
  readonly stableVersion: number;
  readonly canaryVersion: number;
  readonly time: Date;
}

/** Training profiles per model version, and which version each deployment serves. */
export abstract class ReferenceRepository {
  /** Stores (or refreshes) a version's reference; a prediction baseline already learnt is kept. */
  abstract save(manager: EntityManager, reference: Reference, sourceEventId: string): Promise<void>;
  abstract find(modelName: string, modelVersion: number, manager?: EntityManager): Promise<Reference | null>;
  /** Records the output classes of the version's first window, unless some were recorded already. */
  abstract setPredictionBaseline(
    manager: EntityManager,
    modelName: string,
    modelVersion: number,
    baseline: Record<string, number>,
  ): Promise<void>;
  /** Records a deployment's versions unless a later change was recorded already. */
  abstract saveDeployment(manager: EntityManager, change: DeploymentChange): Promise<void>;
  /**
   * The version GetModelHealth describes: the stable version of the model's latest deployment,
   * else the newest version that has predictions, else the newest version with a reference.
   */
  abstract watchedVersion(modelName: string): Promise<number | null>;
}

@Injectable()
export class TypeOrmReferenceRepository extends ReferenceRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async save(manager: EntityManager, reference: Reference, sourceEventId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(ReferenceProfileEntity)
      .values({
        modelName: reference.modelName,
        modelVersion: reference.modelVersion,
        task: reference.task,
        profile: reference.profile,
        columnTypes: reference.columnTypes,
        reference: reference.source ?? null,
        metric: reference.metric,
        referenceValue: reference.referenceValue,
        sourceEventId,
        updateTime: () => 'now()',
      })
      // prediction_baseline is left out: a baseline already learnt survives a repeated event.
      .orUpdate(
        ['task', 'profile', 'column_types', 'reference', 'metric', 'reference_value', 'source_event_id', 'update_time'],
        ['model_name', 'model_version'],
      )
      .execute();
  }

  async find(modelName: string, modelVersion: number, manager: EntityManager = this.dataSource.manager): Promise<Reference | null> {
    const row = await manager.findOne(ReferenceProfileEntity, { where: { modelName, modelVersion } });
    return row ? toReference(row) : null;
  }

  async setPredictionBaseline(
    manager: EntityManager,
    modelName: string,
    modelVersion: number,
    baseline: Record<string, number>,
  ): Promise<void> {
    await manager.update(
      ReferenceProfileEntity,
      { modelName, modelVersion, predictionBaseline: IsNull() },
      { predictionBaseline: baseline },
    );
  }

  async saveDeployment(manager: EntityManager, d: DeploymentChange): Promise<void> {
    // Raw: an upsert that only overwrites an older change (ON CONFLICT … DO UPDATE … WHERE).
    await queryRows(
      manager,
      `INSERT INTO deployments (deployment, model_name, stable_version, canary_version, update_time) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (deployment) DO UPDATE SET model_name = EXCLUDED.model_name, stable_version = EXCLUDED.stable_version,
         canary_version = EXCLUDED.canary_version, update_time = EXCLUDED.update_time
       WHERE deployments.update_time <= EXCLUDED.update_time`,
      [d.deployment, d.modelName, d.stableVersion, d.canaryVersion, d.time],
    );
  }

  async watchedVersion(modelName: string): Promise<number | null> {
    const manager = this.dataSource.manager;
    const deployed = await manager.findOne(DeploymentEntity, {
      where: { modelName, stableVersion: MoreThan(0) },
      order: { updateTime: 'DESC' },
    });
    if (deployed) return deployed.stableVersion;
    const predicted = await manager.findOne(MonitorWindowEntity, {
      select: { windowId: true, modelVersion: true },
      where: [
        { modelName, predictions: MoreThan(0) },
        { modelName, status: 'closed' },
      ],
      order: { modelVersion: 'DESC' },
    });
    if (predicted) return predicted.modelVersion;
    const referenced = await manager.findOne(ReferenceProfileEntity, {
      select: { modelName: true, modelVersion: true },
      where: { modelName },
      order: { modelVersion: 'DESC' },
    });
    return referenced?.modelVersion ?? null;
  }
}

function toReference(row: ReferenceProfileEntity): Reference {
  return {
    modelName: row.modelName,
    modelVersion: row.modelVersion,
    task: row.task,
    profile: row.profile,
    columnTypes: row.columnTypes,
    source: row.reference ? commonV1.ObjectRef.fromPartial(row.reference) : null,
    metric: row.metric,
    referenceValue: row.referenceValue,
    predictionBaseline: row.predictionBaseline,
  };
}
