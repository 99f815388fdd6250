import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '@flywheel/platform';
import { ObjectStore } from '@flywheel/storage';
import { DataSource } from 'typeorm';

/** `/healthz` checks of the database and the object store (Kafka's is the prediction log's). */
@Injectable()
export class DependencyHealth implements OnModuleInit {
  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
  ) {}

  onModuleInit(): void {
    this.health.register({
      name: 'database',
      check: async () => {
        await this.dataSource.query('SELECT 1');
      },
    });
    this.health.register({ name: 's3', check: () => this.objects.ensureBucket() });
  }
}
