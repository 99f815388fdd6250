import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { HealthRegistry } from '@flywheel/platform';
import { DataSource } from 'typeorm';

/** `/healthz` check `database`: one round trip on the service's own pool. */
@Injectable()
export class DatabaseHealth implements OnModuleInit {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    // Absent when the module runs outside a platform service (library tests).
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health?.register({ name: 'database', check: async () => void (await this.dataSource.query('SELECT 1')) });
  }
}
