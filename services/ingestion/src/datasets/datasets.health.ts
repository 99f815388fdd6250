import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { KAFKA_CLIENT } from '@flywheel/messaging';
import { HealthRegistry } from '@flywheel/platform';
import { datasetVersionPrefix, ObjectStore } from '@flywheel/storage';
import { type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';

/** `/healthz` reports the three things ingestion cannot work without. */
@Injectable()
export class DatasetsHealth implements OnModuleInit {
  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ObjectStore) private readonly store: ObjectStore,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
  ) {}

  async onModuleInit(): Promise<void> {
    // Versions are written from the first ingest on: a missing bucket is created now, not then.
    await this.store.ensureBucket();
    this.health.register({ name: 'database', check: async () => void (await this.dataSource.query('SELECT 1')) });
    this.health.register({ name: 'object-store', check: async () => void (await this.store.list(datasetVersionPrefix('healthcheck', 1))) });
    this.health.register({
      name: 'kafka',
      check: async () => {
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          const cluster = await admin.describeCluster();
          return { brokers: cluster.brokers.length };
        } finally {
          await admin.disconnect();
        }
      },
    });
  }
}
