import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { FLYWHEEL_METRICS, InjectConfig, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { type Counter } from 'prom-client';
import { type MonitorConfig } from '../monitor.config';
import { WindowRepository } from './window.repository';

const PRUNE_EVERY_MS = 60_000;

/**
 * Keeps the request id → prediction index within its limits on a clock of its own (an idle
 * monitor folds nothing, but its waiting labels still expire). A label whose prediction never
 * came — a request nobody served, or feedback made up — is dropped and counted here.
 */
@Injectable()
export class JoinIndexPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly unmatched: Counter;

  constructor(
    @Inject(WindowRepository) private readonly windows: WindowRepository,
    @InjectConfig() private readonly config: MonitorConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(PlatformMetrics) metrics: PlatformMetrics,
  ) {
    this.unmatched = metrics.counterOf(FLYWHEEL_METRICS.monitorFeedbackUnmatched);
  }

  onApplicationBootstrap(): void {
    const every = Math.min(PRUNE_EVERY_MS, this.config.MONITOR_LABEL_WAIT_MS);
    this.timer = setInterval(() => void (this.running ??= this.prune().finally(() => (this.running = undefined))), every);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async prune(): Promise<void> {
    try {
      const pruned = await this.windows.pruneJoinIndex({
        retentionMs: this.config.MONITOR_JOIN_RETENTION_MS,
        maxRows: this.config.MONITOR_JOIN_MAX_ROWS,
        labelWaitMs: this.config.MONITOR_LABEL_WAIT_MS,
        maxWaitingLabels: this.config.MONITOR_LABEL_WAIT_MAX_ROWS,
      });
      this.unmatched.inc(pruned.unmatchedLabels);
      if (pruned.predictions > 0 || pruned.unmatchedLabels > 0) this.logger.entry('info', 'join index pruned', pruned);
    } catch (error) {
      this.logger.entry('warn', 'pruning the join index failed; will try again', { error: (error as Error).message });
    }
  }
}
