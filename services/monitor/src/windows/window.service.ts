import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DriftDetectedEvent, monitorV1, PerformanceDegradedEvent } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';
import { InjectConfig, JsonLogger, Clock } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { decideNotification } from '../alerts/alert-policy';
import { AlertRepository } from '../alerts/alert.repository';
import { type MonitorConfig } from '../monitor.config';
import { type EffectivePolicy, defaultPolicy, effectivePolicy } from '../policy/monitoring-policy';
import { PolicyRepository } from '../policy/policy.repository';
import { ReferenceRepository } from '../reference/reference.repository';
import { type ClosedWindow, type FoldContext, type OpenWindow, closeIfExpired, foldEntries } from './window-folder';
import { type Reference } from './window-judge';
import { emptyWindow, restoreWindow, serializeWindow } from './window-state';
import { WindowRepository } from './window.repository';

/** Journal rows folded per transaction; a backlog is worked off in several. */
const FOLD_BATCH = 2_000;
const PRUNE_EVERY_MS = 60_000;

/**
 * Folds the journal into each model version's open window: the window summaries, the journal
 * rows they absorbed (deleted) and whatever a closing window decides (report, alerts, events
 * through the outbox) commit together, under a lock on the open window, so replicas and
 * restarts never count an entry twice or lose one. The open window is cached between folds
 * and reloaded whenever its stored revision moved.
 */
@Injectable()
export class WindowService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly cache = new Map<string, { revision: number; open: OpenWindow }>();
  private interval: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastPrune = 0;

  constructor(
    @Inject(WindowRepository) private readonly windows: WindowRepository,
    @Inject(ReferenceRepository) private readonly references: ReferenceRepository,
    @Inject(PolicyRepository) private readonly policies: PolicyRepository,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @InjectConfig() private readonly config: MonitorConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.interval = setInterval(() => this.schedule(0), this.config.MONITOR_FOLD_INTERVAL_MS);
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.pending);
    await this.running;
  }

  /** Asks for a fold soon (handlers call this after appending to the journal). */
  schedule(delayMs = 50): void {
    if (this.stopped || this.pending) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.running = this.foldAll()
        .catch((error: Error) => this.logger.entry('error', 'folding windows failed; will retry', { error: error.message, stack: error.stack }))
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.schedule(0);
          }
        });
    }, delayMs);
  }

  /** Folds every version with pending entries or an open window; resolves when done (tests await it). */
  async foldAll(): Promise<void> {
    for (const stream of await this.windows.activeStreams()) {
      if (this.stopped) return;
      let more = true;
      for (let round = 0; more && round < 100; round++) more = await this.foldStream(stream.modelName, stream.modelVersion);
    }
    const now = this.clock.now().getTime();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const pruned = await this.windows.pruneJoinIndex(this.config.MONITOR_JOIN_RETENTION_MS, this.config.MONITOR_JOIN_MAX_ROWS);
      if (pruned > 0) this.logger.entry('info', 'join index pruned', { rows: pruned });
    }
  }

  /** One transaction of folding for one version; true when a full batch suggests more is waiting. */
  private async foldStream(modelName: string, modelVersion: number): Promise<boolean> {
    const reference = await this.references.find(modelName, modelVersion);
    // Without the version's training profile there is nothing to compare with; the entries wait.
    if (reference === null) return false;
    const stored = await this.policies.find(modelName);
    const policy = stored ? effectivePolicy(stored) : defaultPolicy(modelName);
    const key = `${modelName}\u0000${modelVersion}`;
    try {
      const result = await this.transactions.run(async (manager) => {
        const stored = await this.windows.lockOpenWindow(manager, modelName, modelVersion, randomUUID());
        const cached = this.cache.get(key);
        const open: OpenWindow =
          cached && cached.revision === stored.revision && cached.open.windowId === stored.windowId
            ? cached.open
            : {
                windowId: stored.windowId,
                sequence: stored.sequence,
                deployment: stored.deployment,
                summary: stored.state ? restoreWindow(reference.profile, stored.state) : emptyWindow(reference.profile),
              };
        const rows = await this.windows.readJournal(manager, modelName, modelVersion, FOLD_BATCH);
        const context: FoldContext = { reference, policy, newId: randomUUID, now: () => this.clock.now() };
        const folded = foldEntries(context, open, rows.map((r) => r.item));
        const closed = [...folded.closed];
        const latestBaseline = [...closed].reverse().find((c) => c.judgement.newBaseline)?.judgement.newBaseline;
        const expired = closeIfExpired({ ...context, reference: latestBaseline ? { ...reference, predictionBaseline: latestBaseline } : reference }, folded.open, this.clock.now());
        if (expired.closed) closed.push(expired.closed);
        const current = expired.open;
        if (rows.length === 0 && closed.length === 0) return { revision: stored.revision, current, more: false, unchanged: true };

        let baselineKnown = reference.predictionBaseline !== null;
        for (const c of closed) {
          if (c.window.windowId !== stored.windowId) await this.windows.openWindow(manager, { modelName, modelVersion, windowId: c.window.windowId, sequence: c.window.sequence, deployment: c.window.deployment });
          await this.persistClosed(manager, reference, policy, c);
          if (!baselineKnown && c.judgement.newBaseline) {
            await this.references.setPredictionBaseline(manager, modelName, modelVersion, c.judgement.newBaseline);
            baselineKnown = true;
          }
        }
        if (current.windowId !== stored.windowId) {
          await this.windows.openWindow(manager, { modelName, modelVersion, windowId: current.windowId, sequence: current.sequence, deployment: current.deployment });
        }
        const revision = stored.revision + 1;
        await this.windows.saveOpenWindow(manager, {
          windowId: current.windowId,
          deployment: current.deployment,
          state: serializeWindow(current.summary),
          predictions: current.summary.predictions,
          labelled: current.summary.labels.labelled,
          startTime: current.summary.startTime === null ? null : new Date(current.summary.startTime),
          revision,
        });
        await this.windows.deleteJournal(manager, rows.map((r) => r.id));
        return { revision, current, more: rows.length === FOLD_BATCH, unchanged: false };
      });
      if (!result.unchanged || !this.cache.has(key)) this.cache.set(key, { revision: result.revision, open: result.current });
      return result.more;
    } catch (error) {
      // The cached summary may hold entries of the rolled-back transaction: reload it next time.
      this.cache.delete(key);
      throw error;
    }
  }

  private async persistClosed(manager: EntityManager, reference: Reference, policy: EffectivePolicy, c: ClosedWindow): Promise<void> {
    const { judgement, window } = c;
    const { report } = judgement;
    const now = this.clock.now();
    await this.windows.saveReport(manager, window.windowId, report);
    await this.windows.closeWindow(manager, {
      windowId: window.windowId,
      deployment: window.deployment,
      state: serializeWindow(window.summary),
      predictions: window.summary.predictions,
      labelled: window.summary.labels.labelled,
      start: c.start,
      end: c.end,
      closedBy: c.closedBy,
      reportId: report.reportId,
      metric: judgement.performance?.metric ?? null,
      metricValue: judgement.performance?.current ?? null,
    });
    const { modelName, modelVersion } = reference;
    const publishOptions = { key: modelName, causationId: c.closedBy || null };

    const driftMessages: Array<{ kind: monitorV1.AlertKind; message: string }> = [];
    if (judgement.datasetDrift) {
      driftMessages.push({
        kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
        message: `data drift: ${judgement.driftedFeatures.length} of ${report.features.length} features drifted (${judgement.driftedFeatures.join(', ')}); share ${report.driftedShare.toFixed(2)} >= ${policy.driftShareThreshold}`,
      });
    } else {
      await this.alerts.resolve(manager, modelName, modelVersion, monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT, now);
    }
    if (judgement.predictionDrift && report.prediction) {
      const p = report.prediction;
      driftMessages.push({
        kind: monitorV1.AlertKind.ALERT_KIND_PREDICTION_DRIFT,
        message: `prediction drift: output classes moved from the version's first window (${describeStatistic(p)})`,
      });
    } else if (report.prediction) {
      await this.alerts.resolve(manager, modelName, modelVersion, monitorV1.AlertKind.ALERT_KIND_PREDICTION_DRIFT, now);
    }
    if (driftMessages.length > 0) {
      const decisions = [];
      for (const d of driftMessages) {
        const open = await this.alerts.findOpen(manager, modelName, modelVersion, d.kind);
        decisions.push({ ...d, open, decision: decideNotification(open, now, this.config.MONITOR_ALERT_COOLDOWN_MS) });
      }
      let eventId = '';
      if (decisions.some((d) => d.decision !== 'suppress')) {
        const event = await this.publisher.publish(
          manager,
          DriftDetectedEvent,
          monitorV1.DriftDetected.fromPartial({ report, driftedFeatures: judgement.driftedFeatures, deployment: window.deployment }),
          publishOptions,
        );
        eventId = event.id;
      }
      for (const d of decisions) await this.recordAlert(manager, d, { modelName, modelVersion, reportId: report.reportId, eventId, now });
    }

    const performance = judgement.performance;
    if (performance?.degraded) {
      const kind = monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED;
      const open = await this.alerts.findOpen(manager, modelName, modelVersion, kind);
      const decision = decideNotification(open, now, this.config.MONITOR_ALERT_COOLDOWN_MS);
      let eventId = '';
      if (decision !== 'suppress') {
        const event = await this.publisher.publish(
          manager,
          PerformanceDegradedEvent,
          monitorV1.PerformanceDegraded.fromPartial({
            modelName,
            modelVersion,
            deployment: window.deployment,
            metric: performance.metric,
            currentValue: performance.current,
            referenceValue: performance.reference,
            maxDrop: performance.maxDrop,
            labelled: performance.labelled,
            window: { start: c.start, end: c.end },
            reportId: report.reportId,
            detectTime: now,
          }),
          publishOptions,
        );
        eventId = event.id;
      }
      const message =
        performance.metric === 'rmse'
          ? `performance degraded: rmse ${performance.current.toFixed(4)} above holdout ${performance.reference.toFixed(4)} by more than ${(performance.maxDrop * 100).toFixed(1)}% over ${performance.labelled} labels`
          : `performance degraded: accuracy ${performance.current.toFixed(4)} is ${(performance.reference - performance.current).toFixed(4)} below holdout ${performance.reference.toFixed(4)} (max drop ${performance.maxDrop}) over ${performance.labelled} labels`;
      await this.recordAlert(manager, { kind, message, open, decision }, { modelName, modelVersion, reportId: report.reportId, eventId, now });
    } else if (performance) {
      await this.alerts.resolve(manager, modelName, modelVersion, monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED, now);
    }
    this.logger.entry('info', 'window closed', {
      model: modelName,
      version: modelVersion,
      window: window.sequence,
      reason: c.reason,
      predictions: window.summary.predictions,
      labelled: window.summary.labels.labelled,
      datasetDrift: judgement.datasetDrift,
      driftedFeatures: judgement.driftedFeatures,
      predictionDrift: judgement.predictionDrift,
      performance: performance ? { metric: performance.metric, value: performance.current, degraded: performance.degraded } : null,
    });
  }

  private async recordAlert(
    manager: EntityManager,
    d: { kind: monitorV1.AlertKind; message: string; open: { alertId: string } | null; decision: 'raise' | 'renotify' | 'suppress' },
    at: { modelName: string; modelVersion: number; reportId: string; eventId: string; now: Date },
  ): Promise<void> {
    const reportId = d.kind === monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED ? '' : at.reportId;
    if (d.decision === 'raise') {
      await this.alerts.raise(
        manager,
        monitorV1.Alert.fromPartial({ alertId: randomUUID(), modelName: at.modelName, modelVersion: at.modelVersion, kind: d.kind, message: d.message, reportId, eventId: at.eventId, raiseTime: at.now }),
      );
    } else if (d.open && d.decision === 'renotify') {
      await this.alerts.renotify(manager, d.open.alertId, { message: d.message, reportId, eventId: at.eventId, time: at.now });
    } else if (d.open) {
      await this.alerts.suppress(manager, d.open.alertId);
    }
  }
}

function describeStatistic(f: monitorV1.FeatureDrift): string {
  return f.pValue != null ? `p-value ${f.pValue.toExponential(2)} < ${f.threshold}` : `distance ${f.statistic.toFixed(3)} >= ${f.threshold}`;
}
