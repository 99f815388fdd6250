import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig } from '@flywheel/platform';
import { DeploymentStateName } from '../deployments/deployment';
import { type DeployerConfig } from '../deployer.config';
import { ServedModels } from '../serving/served-models';
import { RolloutService } from './rollout.service';

/**
 * Judges running canaries every ROLLOUT_EVALUATION_INTERVAL_MS, one round at a time, and only
 * while this process serves a canary: the clock starts when one is installed and stops when the
 * last one is concluded, so a deployer without canaries does not wake for them.
 */
@Injectable()
export class RolloutScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopWatching: (() => void) | undefined;
  private stopped = false;

  constructor(
    @Inject(RolloutService) private readonly rollout: RolloutService,
    @Inject(ServedModels) private readonly served: ServedModels,
    @InjectConfig() private readonly config: DeployerConfig,
  ) {}

  /** Whether the judging clock is running (a canary is served). */
  get judging(): boolean {
    return this.timer !== undefined;
  }

  onApplicationBootstrap(): void {
    this.stopWatching = this.served.onInstall(() => this.startOrStop());
    this.startOrStop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.stopWatching?.();
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  private startOrStop(): void {
    const canaries = !this.stopped && this.served.all().some((s) => s.deployment.state === DeploymentStateName.CANARY);
    if (canaries && !this.timer) {
      this.timer = setInterval(() => {
        this.round ??= this.rollout.evaluateAll().finally(() => (this.round = undefined));
      }, this.config.ROLLOUT_EVALUATION_INTERVAL_MS);
      this.timer.unref();
    } else if (!canaries && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
