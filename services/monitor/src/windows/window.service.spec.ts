import { DriftDetectedEvent, type EventType, monitorV1 } from '@flywheel/contracts';
import { type EventPublisher } from '@flywheel/messaging';
import { ManualTableChanges, type TransactionRunner } from '@flywheel/persistence';
import { type JsonLogger, ManualClock, PlatformMetrics, SystemClock } from '@flywheel/platform';
import { waitFor } from '@flywheel/testing';
import { type EntityManager } from 'typeorm';
import { generateClaims } from '../../test/claims-data';
import { predictionEntry, referenceFrom } from '../../test/monitor-fixtures';
import { type AlertEntity } from '../alerts/alert.entity';
import { type AlertFilter, AlertRepository, type NewAlert, type OpenAlert } from '../alerts/alert.repository';
import { type MonitorConfig } from '../monitor.config';
import { defaultPolicy, type EffectivePolicy } from '../policy/monitoring-policy';
import { PolicyRepository } from '../policy/policy.repository';
import { type DeploymentChange, ReferenceRepository } from '../reference/reference.repository';
import { DriftMetrics } from './drift-metrics';
import { type JournalEntry } from './window-folder';
import { type Reference } from './window-judge';
import {
  type IndexedPrediction,
  type JournalAppend,
  type IndexedValue,
  type NextWindow,
  type OpenWindowUpdate,
  type StoredOpenWindow,
  type WindowClosing,
  type WindowRecord,
  WindowRepository,
} from './window.repository';
import { WindowService } from './window.service';

const WINDOW = 500;
const COOLDOWN_MS = 60_000;
const { AlertKind } = monitorV1;

interface StoredWindow {
  windowId: string;
  modelName: string;
  modelVersion: number;
  sequence: number;
  status: 'open' | 'closed';
  deployment: string;
  state: StoredOpenWindow['state'];
  revision: number;
  predictions: number;
}

/** The window tables in memory: enough of them for folding. */
class InMemoryWindowRepository extends WindowRepository {
  readonly journal: Array<{ id: string; modelName: string; modelVersion: number; item: JournalEntry }> = [];
  readonly windows: StoredWindow[] = [];
  readonly reports: monitorV1.DriftReport[] = [];
  private nextId = 0;

  indexPredictions(): Promise<Map<string, IndexedValue | null>> {
    throw new Error('not used by folding');
  }
  indexLabel(): Promise<{ prediction: IndexedPrediction | null } | null> {
    throw new Error('not used by folding');
  }
  async appendJournal(_manager: EntityManager, entries: readonly JournalAppend[]): Promise<void> {
    for (const { modelName, modelVersion, item } of entries)
      this.journal.push({ id: String(++this.nextId), modelName, modelVersion, item });
  }
  async activeStreams(): Promise<Array<{ modelName: string; modelVersion: number }>> {
    // As the table's: versions with journalled entries, or an open window holding predictions.
    const streams = new Map(
      [...this.journal, ...this.windows.filter((w) => w.status === 'open' && w.predictions > 0)].map((j) => [
        `${j.modelName}/${j.modelVersion}`,
        { modelName: j.modelName, modelVersion: j.modelVersion },
      ]),
    );
    return [...streams.values()];
  }
  async lockOpenWindow(_manager: EntityManager, modelName: string, modelVersion: number, newId: string): Promise<StoredOpenWindow> {
    const ofVersion = this.windows.filter((w) => w.modelName === modelName && w.modelVersion === modelVersion);
    let open = ofVersion.find((w) => w.status === 'open');
    if (!open) {
      open = {
        windowId: newId,
        modelName,
        modelVersion,
        sequence: ofVersion.length + 1,
        status: 'open',
        deployment: '',
        state: null,
        revision: 0,
        predictions: 0,
      };
      this.windows.push(open);
    }
    return { ...open };
  }
  async readJournal(
    _manager: EntityManager,
    modelName: string,
    modelVersion: number,
    limit: number,
  ): Promise<Array<{ id: string; item: JournalEntry }>> {
    return this.journal.filter((j) => j.modelName === modelName && j.modelVersion === modelVersion).slice(0, limit);
  }
  async deleteJournal(_manager: EntityManager, ids: readonly string[]): Promise<void> {
    for (const id of ids)
      this.journal.splice(
        this.journal.findIndex((j) => j.id === id),
        1,
      );
  }
  async saveOpenWindow(_manager: EntityManager, update: OpenWindowUpdate): Promise<void> {
    Object.assign(this.window(update.windowId), {
      deployment: update.deployment,
      state: update.state,
      revision: update.revision,
      predictions: update.predictions,
    });
  }
  async closeWindow(_manager: EntityManager, closing: WindowClosing): Promise<void> {
    Object.assign(this.window(closing.windowId), {
      status: 'closed',
      deployment: closing.deployment,
      state: closing.state,
      predictions: closing.predictions,
    });
  }
  async openWindow(_manager: EntityManager, next: NextWindow): Promise<void> {
    this.windows.push({ ...next, status: 'open', state: null, revision: 0, predictions: 0 });
  }
  async saveReport(_manager: EntityManager, _windowId: string, report: monitorV1.DriftReport): Promise<void> {
    this.reports.push(report);
  }
  async findReport(): Promise<monitorV1.DriftReport | null> {
    return this.reports.at(-1) ?? null;
  }
  listReports(): Promise<monitorV1.DriftReport[]> {
    throw new Error('not used by folding');
  }
  async latestReportOf(): Promise<monitorV1.DriftReport | null> {
    return this.reports.at(-1) ?? null;
  }
  async openWindowOf(): Promise<WindowRecord | null> {
    return null;
  }
  async pruneJoinIndex(): Promise<{ predictions: number; unmatchedLabels: number }> {
    return { predictions: 0, unmatchedLabels: 0 };
  }
  private window(windowId: string): StoredWindow {
    const found = this.windows.find((w) => w.windowId === windowId);
    if (!found) throw new Error(`no window ${windowId}`);
    return found;
  }
}

class InMemoryAlertRepository extends AlertRepository {
  readonly alerts: AlertEntity[] = [];

  async findOpen(_manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind): Promise<OpenAlert | null> {
    const open = this.alerts.find(
      (a) => a.modelName === modelName && a.modelVersion === modelVersion && a.kind === kind && a.resolveTime === null,
    );
    return open ? { alertId: open.alertId, notifyTime: open.notifyTime } : null;
  }
  async raise(_manager: EntityManager, alert: NewAlert): Promise<void> {
    this.alerts.push({ ...alert, notifyTime: alert.raiseTime, resolveTime: null, suppressed: 0 });
  }
  async renotify(
    _manager: EntityManager,
    alertId: string,
    update: { message: string; reportId: string; eventId: string; time: Date },
  ): Promise<void> {
    Object.assign(this.alert(alertId), {
      message: update.message,
      reportId: update.reportId,
      eventId: update.eventId,
      notifyTime: update.time,
    });
  }
  async suppress(_manager: EntityManager, alertId: string): Promise<void> {
    this.alert(alertId).suppressed += 1;
  }
  async resolve(_manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind, time: Date): Promise<void> {
    for (const a of this.alerts)
      if (a.modelName === modelName && a.modelVersion === modelVersion && a.kind === kind && a.resolveTime === null) a.resolveTime = time;
  }
  async list(filter: AlertFilter): Promise<AlertEntity[]> {
    return this.alerts.filter(
      (a) => (filter.modelName === undefined || a.modelName === filter.modelName) && (!filter.openOnly || a.resolveTime === null),
    );
  }
  private alert(alertId: string): AlertEntity {
    const found = this.alerts.find((a) => a.alertId === alertId);
    if (!found) throw new Error(`no alert ${alertId}`);
    return found;
  }
}

class InMemoryReferenceRepository extends ReferenceRepository {
  constructor(private reference: Reference) {
    super();
  }
  async save(): Promise<void> {}
  async find(modelName: string, modelVersion: number): Promise<Reference | null> {
    return modelName === this.reference.modelName && modelVersion === this.reference.modelVersion ? this.reference : null;
  }
  async setPredictionBaseline(
    _manager: EntityManager,
    _modelName: string,
    _modelVersion: number,
    baseline: Record<string, number>,
  ): Promise<void> {
    if (this.reference.predictionBaseline === null) this.reference = { ...this.reference, predictionBaseline: baseline };
  }
  async saveDeployment(_manager: EntityManager, _change: DeploymentChange): Promise<void> {}
  async watchedVersion(): Promise<number | null> {
    return this.reference.modelVersion;
  }
}

class FixedPolicyRepository extends PolicyRepository {
  constructor(private readonly policy: EffectivePolicy) {
    super();
  }
  async find(): Promise<EffectivePolicy | null> {
    return this.policy;
  }
  async save(): Promise<void> {}
}

describe('WindowService', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const windows = new InMemoryWindowRepository();
  const alerts = new InMemoryAlertRepository();
  const published: Array<{ type: string; id: string; data: unknown; causationId: string | null }> = [];
  const publisher = {
    publish: async <T>(_manager: EntityManager, type: EventType<T>, data: T, options: { causationId?: string | null }) => {
      const event = { type: type.typeName, id: `event-${published.length + 1}`, data, causationId: options.causationId ?? null };
      published.push(event);
      return event;
    },
  } as unknown as EventPublisher;
  const transactions = { run: <T>(work: (manager: EntityManager) => Promise<T>) => work({} as EntityManager) } as TransactionRunner;
  const logger = { entry: () => undefined } as unknown as JsonLogger;
  const config = {
    MONITOR_ALERT_COOLDOWN_MS: COOLDOWN_MS,
    MONITOR_JOIN_RETENTION_MS: 60_000,
    MONITOR_JOIN_MAX_ROWS: 1_000,
    MONITOR_FOLD_INTERVAL_MS: 1_000,
  } as MonitorConfig;
  const platformMetrics = new PlatformMetrics({ defaultMetrics: false });
  const service = new WindowService(
    windows,
    new InMemoryReferenceRepository(referenceFrom(generateClaims(5_000, 1))),
    new FixedPolicyRepository({ ...defaultPolicy('fraud'), windowSize: WINDOW, driftShareThreshold: 0.3 }),
    alerts,
    publisher,
    transactions,
    clock,
    logger,
    config,
    new ManualTableChanges(),
    new DriftMetrics(platformMetrics),
  );

  let eventTime = clock.now().getTime();
  async function foldWindow(prefix: string, shifted: boolean, seed: number): Promise<void> {
    for (const [i, claim] of generateClaims(WINDOW, seed, shifted).entries()) {
      await windows.appendJournal({} as EntityManager, [
        { modelName: 'fraud', modelVersion: 1, item: predictionEntry(claim, prefix, i, (eventTime += 100)) },
      ]);
    }
    await service.foldAll();
  }
  const dataDrift = () => alerts.alerts.find((a) => a.kind === AlertKind.ALERT_KIND_DATA_DRIFT);

  it('raises a drift alert with one DriftDetected caused by the prediction that closed the window', async () => {
    await foldWindow('shifted-1', true, 23);
    expect(windows.reports).toHaveLength(1);
    expect(windows.journal).toHaveLength(0);
    expect(windows.windows.map((w) => [w.sequence, w.status])).toEqual([
      [1, 'closed'],
      [2, 'open'],
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ type: DriftDetectedEvent.typeName, causationId: `shifted-1-event-${WINDOW - 1}` });
    expect((published[0].data as monitorV1.DriftDetected).driftedFeatures.sort()).toEqual(['amount', 'channel']);
    expect(dataDrift()).toMatchObject({
      eventId: published[0].id,
      reportId: windows.reports[0].reportId,
      notifyTime: clock.now(),
      resolveTime: null,
      suppressed: 0,
    });
    expect(dataDrift()?.message).toMatch(/^data drift: 2 of 5 features drifted \(amount, channel\); share 0\.40 >= 0\.3$/);
  });

  it('exports the committed report: drift share, its threshold, reports by verdict and each feature’s statistic', async () => {
    const read = (name: string) => platformMetrics.registry.getSingleMetricAsString(name);
    const [report] = windows.reports;
    expect(await read('flywheel_drift_share')).toContain('flywheel_drift_share{model="fraud"} 0.4');
    expect(await read('flywheel_drift_share_threshold')).toContain('flywheel_drift_share_threshold{model="fraud"} 0.3');
    expect(await read('flywheel_drift_reports_total')).toContain('flywheel_drift_reports_total{model="fraud",dataset_drift="true"} 1');
    const statistics = await read('flywheel_feature_drift_statistic');
    for (const f of report.features)
      expect(statistics).toContain(`flywheel_feature_drift_statistic{model="fraud",feature="${f.feature}"} ${f.statistic}`);
    const pValues = await read('flywheel_feature_drift_p_value');
    for (const f of report.features.filter((f) => f.pValue !== undefined))
      expect(pValues).toContain(`flywheel_feature_drift_p_value{model="fraud",feature="${f.feature}"} ${f.pValue}`);
  });

  it('within the cooldown only counts a further drifted window against the open alert', async () => {
    clock.advance(COOLDOWN_MS / 2);
    await foldWindow('shifted-2', true, 24);
    expect(windows.reports).toHaveLength(2);
    expect(published).toHaveLength(1);
    expect(dataDrift()).toMatchObject({ eventId: published[0].id, reportId: windows.reports[0].reportId, suppressed: 1 });
  });

  it('publishes again once the cooldown has passed, naming the new event and report', async () => {
    clock.advance(COOLDOWN_MS);
    await foldWindow('shifted-3', true, 25);
    expect(published).toHaveLength(2);
    expect(published[1]).toMatchObject({ type: DriftDetectedEvent.typeName, causationId: `shifted-3-event-${WINDOW - 1}` });
    expect(dataDrift()).toMatchObject({
      eventId: published[1].id,
      reportId: windows.reports[2].reportId,
      notifyTime: clock.now(),
      suppressed: 1,
    });
    expect(alerts.alerts.filter((a) => a.kind === AlertKind.ALERT_KIND_DATA_DRIFT)).toHaveLength(1);
  });

  it('resolves the drift alert when a window looks like training again', async () => {
    clock.advance(1_000);
    await foldWindow('healthy', false, 26);
    expect(windows.reports.at(-1)?.datasetDrift).toBe(false);
    expect(dataDrift()?.resolveTime).toEqual(clock.now());
    const reports = await platformMetrics.registry.getSingleMetricAsString('flywheel_drift_reports_total');
    expect(reports).toContain('flywheel_drift_reports_total{model="fraud",dataset_drift="true"} 3');
    expect(reports).toContain('flywheel_drift_reports_total{model="fraud",dataset_drift="false"} 1');
  });
});

describe('WindowService scheduling (no fixed beat)', () => {
  const FALLBACK_MS = 60_000;
  const DURATION_MS = 400;
  const config = {
    MONITOR_ALERT_COOLDOWN_MS: COOLDOWN_MS,
    MONITOR_JOIN_RETENTION_MS: 60_000,
    MONITOR_JOIN_MAX_ROWS: 1_000,
    MONITOR_FOLD_INTERVAL_MS: FALLBACK_MS,
  } as MonitorConfig;

  function started(): { service: WindowService; windows: InMemoryWindowRepository; changes: ManualTableChanges } {
    const windows = new InMemoryWindowRepository();
    const changes = new ManualTableChanges();
    const service = new WindowService(
      windows,
      new InMemoryReferenceRepository(referenceFrom(generateClaims(5_000, 1))),
      new FixedPolicyRepository({ ...defaultPolicy('fraud'), windowSize: WINDOW, minWindowSize: 5, windowDurationMs: DURATION_MS }),
      new InMemoryAlertRepository(),
      { publish: async () => ({ id: 'event' }) } as unknown as EventPublisher,
      { run: <T>(work: (manager: EntityManager) => Promise<T>) => work({} as EntityManager) } as TransactionRunner,
      new SystemClock(),
      { entry: () => undefined } as unknown as JsonLogger,
      config,
      changes,
      new DriftMetrics(new PlatformMetrics({ defaultMetrics: false })),
    );
    return { service, windows, changes };
  }

  async function journal(windows: InMemoryWindowRepository, prefix: string, count: number): Promise<void> {
    for (const [i, claim] of generateClaims(count, 7).entries()) {
      await windows.appendJournal({} as EntityManager, [
        { modelName: 'fraud', modelVersion: 1, item: predictionEntry(claim, prefix, i, Date.now()) },
      ]);
    }
  }

  it('folds entries another process journalled as soon as the journal announces them', async () => {
    const { service, windows, changes } = started();
    service.onApplicationBootstrap();
    try {
      expect(changes.listening('window_journal')).toBe(1);
      expect(changes.listening('monitoring_policies')).toBe(1);
      expect(changes.listening('reference_profiles')).toBe(1);
      await new Promise((r) => setTimeout(r, 100)); // the first fold found nothing; next one in a minute
      await journal(windows, 'elsewhere', 3);
      changes.announce('window_journal');
      await waitFor(() => windows.journal.length === 0, 1_000, 'the announced entries folded');
      expect(windows.windows.find((w) => w.status === 'open')?.predictions).toBe(3);
    } finally {
      await service.beforeApplicationShutdown();
    }
    expect(changes.listening('window_journal')).toBe(0);
  });

  it('sleeps until the open window is due and closes it by time then, not on the fallback poll', async () => {
    const { service, windows } = started();
    await journal(windows, 'due', 10);
    const journalled = Date.now();
    service.onApplicationBootstrap();
    try {
      await waitFor(() => windows.reports.length === 1, 3_000, 'the window closed by time');
      expect(Date.now() - journalled).toBeGreaterThanOrEqual(DURATION_MS - 50);
      expect(Date.now() - journalled).toBeLessThan(FALLBACK_MS / 10);
      expect(windows.windows.find((w) => w.status === 'closed')?.predictions).toBe(10);
    } finally {
      await service.beforeApplicationShutdown();
    }
  });
});
