import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { RolloutService } from './rollout.service';

/** Judges running canaries every ROLLOUT_EVALUATION_INTERVAL_MS; one round at a time. */
@Injectable()
export class RolloutScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    @Inject(RolloutService) private readonly rollout: RolloutService,
    @InjectConfig() private readonly config: DeployerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.round ??= this.rollout.evaluateAll().finally(() => (this.round = undefined));
    }, this.config.ROLLOUT_EVALUATION_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }
}
