import { Inject, Injectable, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HealthRegistry, JsonLogger } from '@flywheel/platform';
import { ObjectStore } from '../object-store';

/**
 * `/healthz` check `object-store`: the bucket exists (created if missing) and the credentials
 * are accepted. At boot the bucket is made once, so the first write does not pay for it; a store
 * that is down then does not stop the service — it starts unhealthy and the check says why.
 */
@Injectable()
export class ObjectStoreHealth implements OnApplicationBootstrap {
  constructor(
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
    @Optional() @Inject(JsonLogger) private readonly logger?: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health?.register({ name: 'object-store', check: () => this.objects.ensureBucket() });
    await this.objects
      .ensureBucket()
      .catch((error: Error) =>
        this.logger?.entry('warn', 'object store not reachable at boot; /healthz reports it', { error: error.message }),
      );
  }
}
