import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { KAFKA_CLIENT } from '@flywheel/messaging';
import { HealthRegistry, JsonLogger } from '@flywheel/platform';
import { ObjectStore } from '@flywheel/storage';
import { type Admin, type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';

/** `/healthz` reports the trainer's three dependencies: its database, Kafka and the object store. */
@Injectable()
export class TrainerHealth implements OnApplicationBootstrap, OnModuleDestroy {
  private admin: Admin | undefined;

  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Artifacts are written from the first run on; a missing bucket is created now, not then.
    await this.objects.ensureBucket().catch((error: Error) => this.logger.entry('warn', 'object store bucket not ensured at boot', { error: error.message }));
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
    this.health.register({ name: 's3', check: () => this.objects.ensureBucket() });
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
