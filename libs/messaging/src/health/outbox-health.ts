import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { degraded, HealthRegistry } from '@flywheel/platform';
import { MessagingRuntime } from '../consuming/messaging-runtime';

/**
 * `/healthz` check `outbox`: degraded while events are parked (too large for the broker, or
 * refused after every retry). The service still works — the events behind them went on — but a
 * person has to look: the reason is in the check and in `outbox.parked_reason`.
 */
@Injectable()
export class OutboxHealth implements OnModuleInit {
  constructor(
    @Inject(MessagingRuntime) private readonly runtime: MessagingRuntime,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health?.register({
      name: 'outbox',
      check: async () => {
        const parked = await this.runtime.parkedOutbox();
        if (!parked || parked.rows === 0) return undefined;
        return degraded(`${parked.rows} event(s) parked, not published; latest: ${parked.latestReason ?? 'no reason recorded'}`, {
          parked: parked.rows,
        });
      },
    });
  }
}
