import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { KAFKA_CLIENT } from '@flywheel/messaging';
import { HealthRegistry } from '@flywheel/platform';
import { type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';

/** `/healthz`: the monitor needs its database and the Kafka cluster. */
@Injectable()
export class HealthIndicators implements OnModuleInit {
  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
  ) {}

  onModuleInit(): void {
    this.health.register({ name: 'database', check: async () => void (await this.dataSource.query('SELECT 1')) });
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
