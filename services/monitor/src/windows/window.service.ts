import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DriftDetectedEvent, type EventType, monitorV1, PerformanceDegradedEvent } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { TableChanges, TransactionRunner } from '@flywheel/persistence';
import { InjectConfig, JsonLogger, Clock } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { driftFindings, type Finding, performanceMessage } from '../alerts/alert-findings';
import { decideNotification, type NotifyDecision } from '../alerts/alert-policy';
import { AlertRepository, type OpenAlert } from '../alerts/alert.repository';
import { type MonitorConfig } from '../monitor.config';
import { type EffectivePolicy, defaultPolicy } from '../policy/monitoring-policy';
import { PolicyRepository } from '../policy/policy.repository';
import { ReferenceRepository } from '../reference/reference.repository';
import { DriftMetrics } from './drift-metrics';
import { type ClosedWindow, type FoldContext, type OpenWindow, closeIfExpired, foldEntries } from './window-folder';
import { type Reference } from './window-judge';
import { emptyWindow, restoreWindow, serializeWindow } from './window-state';
import { WindowRepository } from './window.repository';

/** Journal rows folded per transaction; a backlog is worked off in several. */
const FOLD_BATCH = 2_000;
/** After a failed fold, the next try comes this soon (not a whole fallback interval later). */
const RETRY_AFTER_FAILURE_MS = 1_000;
/** Commits that give the folder work: new entries, a changed policy, a reference entries waited for. */
const WAKING_TABLES = ['window_journal', 'monitoring_policies', 'reference_profiles'] as const;

/**
 * Folds the journal into each model version's open window: the window summaries, the journal
 * rows they absorbed (deleted) and whatever a closing window decides (report, alerts, events
 * through the outbox) commit together, under a lock on the open window, so replicas and
 * restarts never count an entry twice or lose one. The open window is cached between folds
 * and reloaded whenever its stored revision moved.
 *
 * A fold runs when there is something to fold, never on a fixed beat: when this process journals
 * an event, when another one commits to the journal, a policy or a reference (their tables
 * NOTIFY), and when the earliest open window is due to close by time. MONITOR_FOLD_INTERVAL_MS
 * only bounds the wait, for a notification that was lost.
 */
@Injectable()
export class WindowService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly cache = new Map<string, { revision: number; open: OpenWindow }>();
  private next: NodeJS.Timeout | undefined;
  private readonly stopListening: Array<() => void> = [];
  /** When the earliest open window closes by time (epoch ms), as the last fold found it. */
  private nextDue = Infinity;
  private pending: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

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
    @Inject(TableChanges) private readonly changes: TableChanges,
    @Inject(DriftMetrics) private readonly metrics: DriftMetrics,
  ) {}

  onApplicationBootstrap(): void {
    for (const table of WAKING_TABLES) this.stopListening.push(this.changes.onChange(table, () => this.schedule(0)));
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stopListening.splice(0)) stop();
    clearTimeout(this.next);
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
      let failed = false;
      this.running = this.foldAll()
        .catch((error: Error) => {
          failed = true;
          this.logger.entry('error', 'folding windows failed; will retry', { error: error.message, stack: error.stack });
        })
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.schedule(0);
          } else {
            this.armNextFold(failed);
          }
        });
    }, delayMs);
  }

  /** Sleeps until the earliest window is due, a retry after a failure, or at most the fallback interval. */
  private armNextFold(failed: boolean): void {
    if (this.stopped) return;
    clearTimeout(this.next);
    const untilDue = this.nextDue - this.clock.now().getTime();
    const wait = Math.max(0, Math.min(this.config.MONITOR_FOLD_INTERVAL_MS, failed ? RETRY_AFTER_FAILURE_MS : untilDue));
    this.next = setTimeout(() => this.schedule(0), wait);
  }

  /** Folds every version with pending entries or an open window; resolves when done (tests await it). */
  async foldAll(): Promise<void> {
    let nextDue = Infinity;
    for (const stream of await this.windows.activeStreams()) {
      if (this.stopped) return;
      let more = true;
      for (let round = 0; more; round++) {
        if (round === 100) {
          // The rest of a large backlog waits for the next fold (other versions go first), which comes at once.
          nextDue = 0;
          break;
        }
        const folded = await this.foldStream(stream.modelName, stream.modelVersion);
        nextDue = Math.min(nextDue, folded.dueAt);
        more = folded.more;
      }
    }
    this.nextDue = nextDue;
  }

  /**
   * One transaction of folding for one version: `more` when a full batch suggests more is
   * waiting, `dueAt` when its open window closes by time (Infinity: only new entries can close it).
   */
  private async foldStream(modelName: string, modelVersion: number): Promise<{ more: boolean; dueAt: number }> {
    const reference = await this.references.find(modelName, modelVersion);
    // Without the version's training profile there is nothing to compare with; the entries wait.
    if (reference === null) return { more: false, dueAt: Infinity };
    const policy = (await this.policies.find(modelName)) ?? defaultPolicy(modelName);
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
        const folded = foldEntries(
          context,
          open,
          rows.map((r) => r.item),
        );
        const closed = [...folded.closed];
        const latestBaseline = [...closed].reverse().find((c) => c.judgement.newBaseline)?.judgement.newBaseline;
        const expired = closeIfExpired(
          { ...context, reference: latestBaseline ? { ...reference, predictionBaseline: latestBaseline } : reference },
          folded.open,
          this.clock.now(),
        );
        if (expired.closed) closed.push(expired.closed);
        const current = expired.open;
        if (rows.length === 0 && closed.length === 0) return { revision: stored.revision, current, more: false, unchanged: true, closed };

        let baselineKnown = reference.predictionBaseline !== null;
        for (const c of closed) {
          if (c.window.windowId !== stored.windowId)
            await this.windows.openWindow(manager, {
              modelName,
              modelVersion,
              windowId: c.window.windowId,
              sequence: c.window.sequence,
              deployment: c.window.deployment,
            });
          await this.persistClosed(manager, reference, policy, c);
          if (!baselineKnown && c.judgement.newBaseline) {
            await this.references.setPredictionBaseline(manager, modelName, modelVersion, c.judgement.newBaseline);
            baselineKnown = true;
          }
        }
        if (current.windowId !== stored.windowId) {
          await this.windows.openWindow(manager, {
            modelName,
            modelVersion,
            windowId: current.windowId,
            sequence: current.sequence,
            deployment: current.deployment,
          });
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
        await this.windows.deleteJournal(
          manager,
          rows.map((r) => r.id),
        );
        return { revision, current, more: rows.length === FOLD_BATCH, unchanged: false, closed };
      });
      if (!result.unchanged || !this.cache.has(key)) this.cache.set(key, { revision: result.revision, open: result.current });
      // Committed: the metrics show what the stored reports say.
      for (const c of result.closed) this.metrics.recordClosed(c.judgement);
      return { more: result.more, dueAt: closesByTimeAt(result.current, policy) };
    } catch (error) {
      // The cached summary may hold entries of the rolled-back transaction: reload it next time.
      this.cache.delete(key);
      throw error;
    }
  }

  /** Everything a closed window decides, committed in the transaction that closed it. */
  private async persistClosed(manager: EntityManager, reference: Reference, policy: EffectivePolicy, c: ClosedWindow): Promise<void> {
    const scope: AlertScope = {
      manager,
      modelName: reference.modelName,
      modelVersion: reference.modelVersion,
      deployment: c.window.deployment,
      reportId: c.judgement.report.reportId,
      now: this.clock.now(),
      publish: { key: reference.modelName, causationId: c.closedBy || null },
    };
    await this.storeClosedWindow(manager, c);
    await this.alertOnDrift(scope, c, policy);
    await this.alertOnPerformance(scope, c);
    this.logClosed(reference, c);
  }

  /** The window's report, and the window itself closed with its final summaries and verdict. */
  private async storeClosedWindow(manager: EntityManager, c: ClosedWindow): Promise<void> {
    const { judgement, window } = c;
    await this.windows.saveReport(manager, window.windowId, judgement.report);
    await this.windows.closeWindow(manager, {
      windowId: window.windowId,
      deployment: window.deployment,
      state: serializeWindow(window.summary),
      predictions: window.summary.predictions,
      labelled: window.summary.labels.labelled,
      start: c.start,
      end: c.end,
      closedBy: c.closedBy,
      reportId: judgement.report.reportId,
      metric: judgement.performance?.metric ?? null,
      metricValue: judgement.performance?.current ?? null,
    });
  }

  /**
   * Data and prediction drift: kinds the window shows healthy are resolved; the drifted ones
   * share one DriftDetected, published unless every one of them is within its cooldown.
   */
  private async alertOnDrift(scope: AlertScope, c: ClosedWindow, policy: EffectivePolicy): Promise<void> {
    const { found, healthy } = driftFindings(c.judgement, policy);
    for (const kind of healthy) await this.alerts.resolve(scope.manager, scope.modelName, scope.modelVersion, kind, scope.now);
    if (found.length === 0) return;
    const decided: DecidedFinding[] = [];
    for (const finding of found) decided.push(await this.decide(scope, finding));
    const eventId = decided.some((d) => d.decision !== 'suppress')
      ? await this.publish(
          scope,
          DriftDetectedEvent,
          monitorV1.DriftDetected.fromPartial({
            report: c.judgement.report,
            driftedFeatures: c.judgement.driftedFeatures,
            deployment: scope.deployment,
          }),
        )
      : '';
    for (const d of decided) await this.recordAlert(scope, d, eventId);
  }

  /** Performance below the holdout's raises (or re-publishes) PerformanceDegraded; a judged healthy window resolves it. */
  private async alertOnPerformance(scope: AlertScope, c: ClosedWindow): Promise<void> {
    const performance = c.judgement.performance;
    if (performance === null) return;
    const kind = monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED;
    if (!performance.degraded) {
      await this.alerts.resolve(scope.manager, scope.modelName, scope.modelVersion, kind, scope.now);
      return;
    }
    const decided = await this.decide(scope, { kind, message: performanceMessage(performance) });
    const eventId =
      decided.decision === 'suppress'
        ? ''
        : await this.publish(
            scope,
            PerformanceDegradedEvent,
            monitorV1.PerformanceDegraded.fromPartial({
              modelName: scope.modelName,
              modelVersion: scope.modelVersion,
              deployment: scope.deployment,
              metric: performance.metric,
              currentValue: performance.current,
              referenceValue: performance.reference,
              maxDrop: performance.maxDrop,
              labelled: performance.labelled,
              window: { start: c.start, end: c.end },
              reportId: scope.reportId,
              detectTime: scope.now,
            }),
          );
    await this.recordAlert(scope, decided, eventId);
  }

  /** Whether a finding raises an alert, re-publishes the open one or only counts against it. */
  private async decide(scope: AlertScope, finding: Finding): Promise<DecidedFinding> {
    const open = await this.alerts.findOpen(scope.manager, scope.modelName, scope.modelVersion, finding.kind);
    return { ...finding, open, decision: decideNotification(open, scope.now, this.config.MONITOR_ALERT_COOLDOWN_MS) };
  }

  /** Publishes through the outbox, in the window's transaction; returns the event's id. */
  private async publish<T>(scope: AlertScope, type: EventType<T>, data: T): Promise<string> {
    return (await this.publisher.publish(scope.manager, type, data, scope.publish)).id;
  }

  private async recordAlert(scope: AlertScope, d: DecidedFinding, eventId: string): Promise<void> {
    // A performance alert is about labels, not about one drift report.
    const reportId = d.kind === monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED ? '' : scope.reportId;
    if (d.decision === 'raise') {
      await this.alerts.raise(scope.manager, {
        alertId: randomUUID(),
        modelName: scope.modelName,
        modelVersion: scope.modelVersion,
        kind: d.kind,
        message: d.message,
        reportId,
        eventId,
        raiseTime: scope.now,
      });
    } else if (d.open && d.decision === 'renotify') {
      await this.alerts.renotify(scope.manager, d.open.alertId, { message: d.message, reportId, eventId, time: scope.now });
    } else if (d.open) {
      await this.alerts.suppress(scope.manager, d.open.alertId);
    }
  }

  private logClosed(reference: Reference, c: ClosedWindow): void {
    const { judgement, window } = c;
    const performance = judgement.performance;
    this.logger.entry('info', 'window closed', {
      model: reference.modelName,
      version: reference.modelVersion,
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
}

/** When `open` closes by time if no entry closes it first ({@link closeIfExpired}'s rule); Infinity when it cannot yet. */
function closesByTimeAt(open: OpenWindow, policy: EffectivePolicy): number {
  const { startTime, predictions } = open.summary;
  if (startTime === null || predictions < policy.minWindowSize) return Infinity;
  return startTime + policy.windowDurationMs;
}

/** Where a closed window's alerts go: its version, its transaction, its time and its cause. */
interface AlertScope {
  readonly manager: EntityManager;
  readonly modelName: string;
  readonly modelVersion: number;
  readonly deployment: string;
  readonly reportId: string;
  readonly now: Date;
  readonly publish: { readonly key: string; readonly causationId: string | null };
}

interface DecidedFinding extends Finding {
  readonly open: OpenAlert | null;
  readonly decision: NotifyDecision;
}
