import { Inject, Injectable } from '@nestjs/common';
import { queryRows } from '@flywheel/persistence';
import { DataSource, type EntityManager, LessThan, type SelectQueryBuilder } from 'typeorm';
import { type FeatureViewDefinition, type FeatureViewRevision } from './feature-view';
import { FeatureViewEntity } from './feature-view.entity';

export interface AppliedBy {
  readonly team: string;
  readonly tokenId: string;
}

/** Feature view revisions (port; TypeORM below). Reads without a manager use the pool. */
export abstract class FeatureViewRepository {
  /** Serialises applies of one view name until the transaction ends. */
  abstract lock(manager: EntityManager, name: string): Promise<void>;
  abstract current(name: string, manager?: EntityManager): Promise<FeatureViewRevision | undefined>;
  abstract revision(name: string, revision: number): Promise<FeatureViewRevision | undefined>;
  /** Current revisions by name (over `dataset`, or every dataset), after `afterName`, at most `limit`. */
  abstract list(dataset: string | undefined, afterName: string | undefined, limit: number): Promise<FeatureViewRevision[]>;
  /** Current revisions of every view over a dataset. */
  abstract currentForDataset(dataset: string, manager?: EntityManager): Promise<FeatureViewRevision[]>;
  abstract insert(manager: EntityManager, view: FeatureViewRevision, appliedBy: AppliedBy): Promise<void>;
  abstract markMaterialised(manager: EntityManager, name: string, revision: number, datasetVersion: number): Promise<void>;
}

function toRevision(entity: FeatureViewEntity): FeatureViewRevision {
  return {
    ...entity.definition,
    name: entity.name,
    revision: entity.revision,
    definitionHash: entity.definitionHash,
    applyTime: entity.appliedAt,
    materialisedDatasetVersion: entity.materialisedDatasetVersion,
  };
}

@Injectable()
export class TypeOrmFeatureViewRepository extends FeatureViewRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async lock(manager: EntityManager, name: string): Promise<void> {
    // Raw: an advisory lock is a function call, not a statement over a table the builder knows.
    await queryRows(manager, `SELECT pg_advisory_xact_lock(hashtextextended('feature_view:' || $1, 0))`, [name]);
  }

  async current(name: string, manager: EntityManager = this.dataSource.manager): Promise<FeatureViewRevision | undefined> {
    const view = await manager.getRepository(FeatureViewEntity).findOne({ where: { name }, order: { revision: 'DESC' } });
    return view ? toRevision(view) : undefined;
  }

  async revision(name: string, revision: number): Promise<FeatureViewRevision | undefined> {
    const view = await this.dataSource.manager.getRepository(FeatureViewEntity).findOne({ where: { name, revision } });
    return view ? toRevision(view) : undefined;
  }

  async list(dataset: string | undefined, afterName: string | undefined, limit: number): Promise<FeatureViewRevision[]> {
    const query = this.currentRevisions(this.dataSource.manager);
    if (dataset !== undefined) query.andWhere('view.dataset = :dataset', { dataset });
    if (afterName !== undefined) query.andWhere('view.name > :afterName', { afterName });
    return (await query.orderBy('view.name', 'ASC').limit(limit).getMany()).map(toRevision);
  }

  async currentForDataset(dataset: string, manager: EntityManager = this.dataSource.manager): Promise<FeatureViewRevision[]> {
    const views = await this.currentRevisions(manager)
      .andWhere('view.dataset = :dataset', { dataset })
      .orderBy('view.name', 'ASC')
      .getMany();
    return views.map(toRevision);
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
    await manager.getRepository(FeatureViewEntity).insert({
      name: view.name,
      revision: view.revision,
      dataset: view.dataset,
      definition,
      definitionHash: view.definitionHash,
      appliedAt: view.applyTime,
      appliedByTeam: appliedBy.team,
      appliedByToken: appliedBy.tokenId,
    });
  }

  async markMaterialised(manager: EntityManager, name: string, revision: number, datasetVersion: number): Promise<void> {
    // Only ever forward: a backfill of an older version must not move the mark back.
    await manager
      .getRepository(FeatureViewEntity)
      .update({ name, revision, materialisedDatasetVersion: LessThan(datasetVersion) }, { materialisedDatasetVersion: datasetVersion });
  }

  /** The highest revision of each view name (a view's dataset is that of its current revision). */
  private currentRevisions(manager: EntityManager): SelectQueryBuilder<FeatureViewEntity> {
    return manager
      .getRepository(FeatureViewEntity)
      .createQueryBuilder('view')
      .where(
        (query) =>
          `view.revision = ${query.subQuery().select('MAX(latest.revision)').from(FeatureViewEntity, 'latest').where('latest.name = view.name').getQuery()}`,
      );
  }
}
