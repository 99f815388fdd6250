import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { KAFKA_CLIENT } from '@flywheel/messaging';
import { HealthRegistry } from '@flywheel/platform';
import { ObjectStore } from '@flywheel/storage';
import { type Admin, type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';

/**
 * `/healthz` checks of what the feature store needs: its database, Kafka and the object store.
 * Also makes sure the bucket exists before consumers start reading dataset versions into it.
 */
@Injectable()
export class DependenciesHealth implements OnModuleInit, OnModuleDestroy {
  private admin: Admin | undefined;

  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.objects.ensureBucket();
    this.health.register({ name: 'database', check: async () => void (await this.dataSource.query('SELECT 1')) });
    this.health.register({
      name: 'kafka',
      check: async () => {
        if (!this.admin) {
          const admin = this.kafka.admin();
          await admin.connect();
          this.admin = admin;
        }
        const cluster = await this.admin.describeCluster();
        return { brokers: cluster.brokers.length };
      },
    });
    this.health.register({ name: 's3', check: () => this.objects.ensureBucket() });
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect();
  }
}
