import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { KAFKA_CLIENT } from '@flywheel/messaging';
import { HealthRegistry } from '@flywheel/platform';
import { modelArtifactKey, ObjectStore } from '@flywheel/storage';
import { type Admin, type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';

/** A key nobody writes: a HEAD on it proves the store answers and accepts the credentials. */
const PROBE_KEY = modelArtifactKey('healthz', 'probe', 'absent.json');

/**
 * `/healthz` checks of what the registry cannot work without: its database, the Kafka cluster
 * it consumes from and publishes to, and the object store holding artifacts and holdouts.
 */
@Injectable()
export class DependencyHealth implements OnApplicationBootstrap, OnModuleDestroy {
  private admin: Admin | undefined;

  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(ObjectStore) private readonly store: ObjectStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The trainer writes the artifacts; creating the bucket here only spares a first start an
    // unhealthy object store until the first run.
    await this.store.ensureBucket();
    this.health.register({ name: 'database', check: async () => void (await this.dataSource.query('SELECT 1')) });
    this.health.register({
      name: 'kafka',
      check: async () => {
        this.admin ??= this.kafka.admin();
        await this.admin.connect();
        const cluster = await this.admin.describeCluster();
        return { brokers: cluster.brokers.length };
      },
    });
    this.health.register({ name: 'object-store', check: async () => void (await this.store.stat(PROBE_KEY)) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect();
  }
}
