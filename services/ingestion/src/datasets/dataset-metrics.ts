import { Inject, Injectable } from '@nestjs/common';
import { FLYWHEEL_METRICS, PlatformMetrics } from '@flywheel/platform';
import { type Counter } from 'prom-client';

/**
 * Rows committed into dataset versions and records quarantined, per dataset (bounded by the
 * registered datasets). Counted after the transaction that wrote them commits, so a rolled-back
 * batch or cut counts nothing.
 */
@Injectable()
export class DatasetMetrics {
  private readonly committed: Counter<'dataset'>;
  private readonly quarantined: Counter<'dataset'>;

  constructor(@Inject(PlatformMetrics) metrics: PlatformMetrics) {
    this.committed = metrics.counterOf(FLYWHEEL_METRICS.datasetRowsCommitted);
    this.quarantined = metrics.counterOf(FLYWHEEL_METRICS.datasetRowsQuarantined);
  }

  /** Versions a committed cut recorded. */
  recordCommitted(dataset: string, versions: ReadonlyArray<{ readonly rowCount: number }>): void {
    const rows = versions.reduce((sum, v) => sum + v.rowCount, 0);
    if (rows > 0) this.committed.inc({ dataset }, rows);
  }

  recordQuarantined(dataset: string, records: number): void {
    if (records > 0) this.quarantined.inc({ dataset }, records);
  }
}
