import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock, InjectConfig, JsonLogger } from '@flywheel/platform';
import { type IngestionConfig } from '../ingestion.config';
import { DatasetsService } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';

/** Earliest re-check after a look found nothing due yet (the database's clock may run a little behind ours). */
const MIN_WAIT_MS = 20;

/**
 * The time half of the commit policy. The timer sleeps until the next dataset falls due (its
 * oldest pending record's arrival plus its `max_interval`), as the database tells, and records
 * staged here move that time earlier when they fall due sooner; a look every
 * INGEST_COMMIT_CHECK_MS at most finds records staged by another replica. So an idle service
 * does not poll, and a busy one commits on time: version commits never wait for producers.
 *
 * On graceful shutdown the raw consumers stop first, then everything still pending is
 * committed, so a stopped service leaves versions rather than staged rows (staged rows would
 * survive a crash anyway).
 */
@Injectable()
export class CommitScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires next; undefined while a look is running. */
  private wakeAt: number | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(IngestTopicConsumers) private readonly consumers: IngestTopicConsumers,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() private readonly config: IngestionConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.datasets.onStaged((due) => this.wakeBy(due.getTime()));
    this.schedule(0);
  }

  /** Makes the timer fire no later than `time`. */
  private wakeBy(time: number): void {
    if (this.closed || this.wakeAt === undefined || time >= this.wakeAt) return;
    this.schedule(Math.max(0, time - this.clock.now().getTime()));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.wakeAt = this.clock.now().getTime() + delayMs;
    this.timer = setTimeout(() => {
      this.wakeAt = undefined;
      this.running = this.look();
    }, delayMs);
    this.timer.unref();
  }

  private async look(): Promise<void> {
    if (this.closed) return;
    let next: Date | undefined;
    try {
      const versions = await this.datasets.commitDue();
      if (versions > 0) this.logger.entry('info', 'committed versions on their interval', { versions });
      next = await this.datasets.nextCommitDue();
    } catch (error) {
      this.logger.entry('error', 'interval commit failed; retrying on the next look', { error: (error as Error).message });
    }
    if (this.closed) return;
    const fallback = this.config.INGEST_COMMIT_CHECK_MS;
    const untilDue = next === undefined ? fallback : next.getTime() - this.clock.now().getTime();
    this.schedule(Math.min(fallback, Math.max(MIN_WAIT_MS, untilDue)));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
    await this.consumers.stop();
    await this.datasets.settle();
    try {
      const versions = await this.datasets.commitAllPending();
      this.logger.entry('info', 'committed pending records on shutdown', { versions });
    } catch (error) {
      this.logger.entry('error', 'shutdown commit failed; pending records stay staged for the next start', {
        error: (error as Error).message,
      });
    }
  }
}
