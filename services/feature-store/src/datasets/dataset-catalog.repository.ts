import { Inject, Injectable } from '@nestjs/common';
import { ingestionV1 } from '@flywheel/contracts';
import { Between, DataSource, type EntityManager, MoreThanOrEqual } from 'typeorm';
import { DatasetVersionEntity } from './dataset-version.entity';
import { DatasetEntity } from './dataset.entity';

/** A committed dataset version as the feature store knows it from the ingestion event. */
export interface DatasetVersionRecord {
  readonly dataset: string;
  readonly version: number;
  readonly objectKey: string;
  readonly objectSha256: string;
  readonly contentType: string;
  readonly rowCount: number;
  readonly contract: ingestionV1.DataContract;
  /** The DatasetVersionCommitted event it came from: the cause of what it leads to. */
  readonly eventId: string;
  readonly committedAt: Date | null;
}

/** Datasets and their versions, learnt from ingestion's events (port; TypeORM below). */
export abstract class DatasetCatalogRepository {
  abstract upsertDataset(manager: EntityManager, name: string, contract: ingestionV1.DataContract): Promise<void>;
  abstract findDataset(name: string): Promise<ingestionV1.DataContract | undefined>;
  /** False when the version was already recorded. */
  abstract recordVersion(manager: EntityManager, record: DatasetVersionRecord): Promise<boolean>;
  /** Versions in [from, to], ascending; `to` null for no upper bound. */
  abstract listVersions(dataset: string, from: number, to: number | null): Promise<DatasetVersionRecord[]>;
}

function toVersionRecord(entity: DatasetVersionEntity): DatasetVersionRecord {
  return {
    dataset: entity.dataset,
    version: entity.version,
    objectKey: entity.objectKey,
    objectSha256: entity.objectSha256,
    contentType: entity.contentType,
    rowCount: entity.rowCount,
    contract: ingestionV1.DataContract.fromPartial(entity.contract),
    eventId: entity.eventId,
    committedAt: entity.committedAt,
  };
}

@Injectable()
export class TypeOrmDatasetCatalogRepository extends DatasetCatalogRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async upsertDataset(manager: EntityManager, name: string, contract: ingestionV1.DataContract): Promise<void> {
    await manager
      .getRepository(DatasetEntity)
      .createQueryBuilder()
      .insert()
      .values({ name, contract, updatedAt: () => 'now()' })
      .orUpdate(['contract', 'updated_at'], ['name'])
      .execute();
  }

  async findDataset(name: string): Promise<ingestionV1.DataContract | undefined> {
    const dataset = await this.dataSource.manager.getRepository(DatasetEntity).findOne({ where: { name } });
    return dataset ? ingestionV1.DataContract.fromPartial(dataset.contract) : undefined;
  }

  async recordVersion(manager: EntityManager, record: DatasetVersionRecord): Promise<boolean> {
    const result = await manager
      .getRepository(DatasetVersionEntity)
      .createQueryBuilder()
      .insert()
      .values({ ...record })
      .orIgnore()
      .returning('version')
      .execute();
    return (result.raw as unknown[]).length === 1;
  }

  async listVersions(dataset: string, from: number, to: number | null): Promise<DatasetVersionRecord[]> {
    const versions = await this.dataSource.manager.getRepository(DatasetVersionEntity).find({
      where: { dataset, version: to === null ? MoreThanOrEqual(from) : Between(from, to) },
      order: { version: 'ASC' },
    });
    return versions.map(toVersionRecord);
  }
}
