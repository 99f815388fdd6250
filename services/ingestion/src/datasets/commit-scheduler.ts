import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, JsonLogger } from '@flywheel/platform';
import { type IngestionConfig } from '../ingestion.config';
import { DatasetsService } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';

/**
 * The time half of the commit policy: every INGEST_COMMIT_CHECK_MS, datasets whose oldest
 * pending record has waited `max_interval` are committed. On graceful shutdown the raw
 * consumers stop first, then everything still pending is committed, so a stopped service
 * leaves versions rather than staged rows (staged rows would survive a crash anyway).
 */
@Injectable()
export class CommitScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(IngestTopicConsumers) private readonly consumers: IngestTopicConsumers,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @InjectConfig() private readonly config: IngestionConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      // One check at a time: a slow commit (large version, slow store) must not pile up checks.
      this.tick = this.tick.then(() => (this.closed ? undefined : this.check()));
    }, this.config.INGEST_COMMIT_CHECK_MS);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    try {
      const versions = await this.datasets.commitDue();
      if (versions > 0) this.logger.entry('info', 'committed versions on their interval', { versions });
    } catch (error) {
      this.logger.entry('error', 'interval commit failed; retrying on the next check', { error: (error as Error).message });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.tick;
    await this.consumers.stop();
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
