import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { HealthRegistry } from '@flywheel/platform';
import { type Admin, type Kafka } from 'kafkajs';
import { KAFKA_CLIENT } from '../messaging-options';

/**
 * `/healthz` check `kafka`: the cluster answers a metadata request. One admin connection is kept
 * for the checks (kafkajs reconnects it), rather than a new connection per probe.
 */
@Injectable()
export class KafkaHealth implements OnModuleInit, OnModuleDestroy {
  private admin: Admin | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health?.register({
      name: 'kafka',
      check: async () => {
        this.admin ??= this.kafka.admin();
        await this.admin.connect();
        const cluster = await this.admin.describeCluster();
        return { brokers: cluster.brokers.length };
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
