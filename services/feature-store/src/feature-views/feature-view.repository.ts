import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type FeatureViewDefinition, type FeatureViewRevision } from './feature-view';

export interface AppliedBy {
  readonly team: string;
  readonly tokenId: string;
}

/** Feature view revisions (port; Postgres below). Reads without a manager use the pool. */
export abstract class FeatureViewRepository {
  /** Serialises applies of one view name until the transaction ends. */
  abstract lock(manager: EntityManager, name: string): Promise<void>;
  abstract current(name: string, manager?: EntityManager): Promise<FeatureViewRevision | undefined>;
  abstract revision(name: string, revision: number): Promise<FeatureViewRevision | undefined>;
  /** Current revisions by name, after `afterName`, at most `limit`. */
  abstract list(dataset: string | null, afterName: string | null, limit: number): Promise<FeatureViewRevision[]>;
  /** Current revisions of every view over a dataset. */
  abstract currentForDataset(dataset: string, manager?: EntityManager): Promise<FeatureViewRevision[]>;
  abstract insert(manager: EntityManager, view: FeatureViewRevision, appliedBy: AppliedBy): Promise<void>;
  abstract markMaterialised(manager: EntityManager, name: string, revision: number, datasetVersion: number): Promise<void>;
}

interface ViewRow {
  name: string;
  revision: number;
  definition: FeatureViewDefinition;
  definition_hash: string;
  applied_at: Date;
  materialised_dataset_version: number;
}

function toRevision(row: ViewRow): FeatureViewRevision {
  return {
    ...row.definition,
    name: row.name,
    revision: row.revision,
    definitionHash: row.definition_hash,
    applyTime: row.applied_at,
    materialisedDatasetVersion: row.materialised_dataset_version,
  };
}

const CURRENT = `
  SELECT DISTINCT ON (name) name, revision, definition, definition_hash, applied_at, materialised_dataset_version
  FROM feature_views`;

@Injectable()
export class PostgresFeatureViewRepository extends FeatureViewRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async lock(manager: EntityManager, name: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('feature_view:' || $1, 0))`, [name]);
  }

  async current(name: string, manager: EntityManager = this.dataSource.manager): Promise<FeatureViewRevision | undefined> {
    const rows: ViewRow[] = await manager.query(`${CURRENT} WHERE name = $1 ORDER BY name, revision DESC`, [name]);
    return rows.length ? toRevision(rows[0]) : undefined;
  }

  async revision(name: string, revision: number): Promise<FeatureViewRevision | undefined> {
    const rows: ViewRow[] = await this.dataSource.query(
      `SELECT name, revision, definition, definition_hash, applied_at, materialised_dataset_version
       FROM feature_views WHERE name = $1 AND revision = $2`,
      [name, revision],
    );
    return rows.length ? toRevision(rows[0]) : undefined;
  }

  async list(dataset: string | null, afterName: string | null, limit: number): Promise<FeatureViewRevision[]> {
    const rows: ViewRow[] = await this.dataSource.query(
      `SELECT * FROM (${CURRENT} ORDER BY name, revision DESC) current
       WHERE ($1::text IS NULL OR (current.definition->>'dataset') = $1) AND ($2::text IS NULL OR current.name > $2)
       ORDER BY current.name LIMIT $3`,
      [dataset, afterName, limit],
    );
    return rows.map(toRevision);
  }

  async currentForDataset(dataset: string, manager: EntityManager = this.dataSource.manager): Promise<FeatureViewRevision[]> {
    const rows: ViewRow[] = await manager.query(
      `SELECT * FROM (${CURRENT} ORDER BY name, revision DESC) current WHERE (current.definition->>'dataset') = $1 ORDER BY current.name`,
      [dataset],
    );
    return rows.map(toRevision);
  }

  async insert(manager: EntityManager, view: FeatureViewRevision, appliedBy: AppliedBy): Promise<void> {
    const definition: FeatureViewDefinition = {
      name: view.name,
      dataset: view.dataset,
      entityKey: view.entityKey,
      eventTimeColumn: view.eventTimeColumn,
      features: view.features,
      onlineTtlMs: view.onlineTtlMs,
      description: view.description,
    };
    await manager.query(
      `INSERT INTO feature_views (name, revision, dataset, definition, definition_hash, applied_at, applied_by_team, applied_by_token)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [view.name, view.revision, view.dataset, JSON.stringify(definition), view.definitionHash, view.applyTime, appliedBy.team, appliedBy.tokenId],
    );
  }

  async markMaterialised(manager: EntityManager, name: string, revision: number, datasetVersion: number): Promise<void> {
    await manager.query(
      `UPDATE feature_views SET materialised_dataset_version = GREATEST(materialised_dataset_version, $3)
       WHERE name = $1 AND revision = $2`,
      [name, revision, datasetVersion],
    );
  }
}
