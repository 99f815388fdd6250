/**
 * The closed loop of one model, told from the services' records (no Kafka): which dataset and
 * feature view it trains on, each stage's latest event, and the causal timeline. Pure functions
 * over what the six services answered, so they are tested without a console.
 */
import { deployerV1, type featureStoreV1, type ingestionV1, monitorV1, registryV1, trainerV1 } from '@flywheel/contracts';
import { enumLabel, formatNumber, formatPercent } from '../../format';
import { metricOf } from '../models/models.view';

/** The loop's stages, in the order data flows through them. */
export const STAGES = ['data in', 'features', 'training', 'registry', 'deployment', 'monitor'] as const;
export type Stage = (typeof STAGES)[number];

/** What each service answered for one model; a service that failed answered nothing (empty lists). */
export interface LoopRecords {
  modelName: string;
  model?: registryV1.Model;
  /** Newest first, as the registry lists them. */
  modelVersions: readonly registryV1.ModelVersion[];
  audit: readonly registryV1.AuditEntry[];
  runs: readonly trainerV1.Run[];
  decisions: readonly trainerV1.RetrainingDecision[];
  /** The source dataset (see `resolveSource`), as the ingestion service describes it, and its versions. */
  dataset?: string;
  datasetInfo?: ingestionV1.Dataset;
  datasetVersions: readonly ingestionV1.DatasetVersion[];
  featureView?: featureStoreV1.FeatureView;
  /** Deployments serving this model. */
  deployments: readonly deployerV1.Deployment[];
  /** The changes of this model's deployments (ListDeploymentChanges), newest first. */
  deploymentChanges: readonly deployerV1.DeploymentChanged[];
  health?: monitorV1.GetModelHealthResponse;
  alerts: readonly monitorV1.Alert[];
  /** Drift reports in hand: the latest, and those the alerts name. */
  reports: readonly monitorV1.DriftReport[];
}

type Time = Date | string | number | { seconds: number; nanos?: number } | null | undefined;

/** A timestamp as the gRPC client hands it over, in milliseconds; undefined when unset. */
export function toMillis(value: Time): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const ms =
    typeof value === 'object' && !(value instanceof Date) ? value.seconds * 1000 + (value.nanos ?? 0) / 1e6 : new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

const short = (id: string) => id.slice(0, 8);

/** Where the model's data comes from, and what says so. */
export interface LoopSource {
  dataset?: string;
  datasetVersionFrom?: number;
  datasetVersionTo?: number;
  featureView?: string;
  featureViewRevision?: number;
  /** e.g. `the lineage of v3`, `run 1a2b3c4d`. */
  foundIn?: string;
}

/** The alias that names the champion: `production` when set, else the first alias by name. */
export function championAlias(aliases: Record<string, number> | undefined): [alias: string, version: number] | undefined {
  const entries = Object.entries(aliases ?? {}).filter(([, v]) => v > 0);
  if (entries.length === 0) return undefined;
  return entries.find(([a]) => a === 'production') ?? entries.sort(([a], [b]) => a.localeCompare(b))[0];
}

/**
 * The dataset and feature view a model trains on: from the lineage of its champion version, else
 * of its newest version, else of its newest run with a lineage, else the newest run's spec (a
 * feature view only; its dataset then comes from the feature view itself).
 */
export function resolveSource(
  modelVersions: readonly registryV1.ModelVersion[],
  runs: readonly trainerV1.Run[],
  aliases?: Record<string, number>,
): LoopSource {
  const champion = championAlias(aliases);
  const newest = [...modelVersions].sort((a, b) => b.version - a.version);
  const ordered = champion
    ? [...newest.filter((v) => v.version === champion[1]), ...newest.filter((v) => v.version !== champion[1])]
    : newest;
  for (const v of ordered) {
    const l = v.lineage;
    if (l && (l.dataset || l.featureView)) return fromLineage(l, `the lineage of v${v.version}`);
  }
  const byTime = newestRunsFirst(runs);
  for (const r of byTime) {
    const l = r.lineage;
    if (l && (l.dataset || l.featureView)) return fromLineage(l, `run ${short(r.runId)}`);
  }
  const spec = byTime.find((r) => r.spec?.featureView)?.spec;
  return spec ? { featureView: spec.featureView, foundIn: `the spec of run ${short(byTime.find((r) => r.spec === spec)!.runId)}` } : {};
}

function fromLineage(l: NonNullable<registryV1.ModelVersion['lineage']>, foundIn: string): LoopSource {
  return {
    dataset: l.dataset || undefined,
    datasetVersionFrom: l.datasetVersionFrom || undefined,
    datasetVersionTo: l.datasetVersionTo || undefined,
    featureView: l.featureView || undefined,
    featureViewRevision: l.featureViewRevision || undefined,
    foundIn,
  };
}

const runTime = (r: trainerV1.Run) => toMillis(r.endTime) ?? toMillis(r.startTime) ?? toMillis(r.createTime) ?? 0;
const newestRunsFirst = (runs: readonly trainerV1.Run[]) =>
  [...runs].sort((a, b) => (toMillis(b.createTime) ?? 0) - (toMillis(a.createTime) ?? 0));

// ---------------------------------------------------------------------------------------------
// The timeline

/** What caused a row: another row of the timeline when it is there, else the records' own words. */
export interface Cause {
  /** The row it links to; unset when that row is not in the timeline (older than what was read, or its service failed). */
  rowId?: string;
  text: string;
}

export interface TimelineRow {
  /** Unique, usable as an HTML id and a `#fragment`. */
  id: string;
  /** Milliseconds since the epoch. */
  time: number;
  stage: Stage;
  /** How other rows name this one when it caused them. */
  label: string;
  what: string;
  /** The console page about what the row is about. */
  href?: string;
  causedBy: Cause[];
}

/** A row before its causes are looked up among the other rows: each cause lists the rows it may be, best first. */
interface DraftRow extends Omit<TimelineRow, 'causedBy'> {
  /** Order among rows of the same time: an effect sorts above (newer than) its cause. */
  rank: number;
  causes: Array<{ candidates: string[]; text: string }>;
  /** A dataset commit, folded with its neighbours. */
  commit?: ingestionV1.DatasetVersion;
}

/** An HTML id of the given parts, with anything but [A-Za-z0-9_.-] replaced. */
export function rowId(...parts: Array<string | number>): string {
  return parts.join('-').replace(/[^A-Za-z0-9_.-]/g, '_');
}

const enc = encodeURIComponent;
const RANK: Record<string, number> = {
  dataset: -1,
  commit: 0,
  view: 1,
  decision: 2,
  run: 3,
  created: 3,
  registered: 4,
  alias: 5,
  refused: 5,
  deployment: 6,
  report: 7,
  alert: 8,
};

const trigger = (t: trainerV1.RunTrigger) => enumLabel(trainerV1.RunTrigger, t, 'RUN_TRIGGER');
const runStatus = (s: trainerV1.RunStatus) => enumLabel(trainerV1.RunStatus, s, 'RUN_STATUS');
const eventName = (type: string) => type.split('.').pop() || 'event';

/** A run's result in words: its metric, or why it failed. */
export function runResult(r: trainerV1.Run): string {
  if (r.status === trainerV1.RunStatus.RUN_STATUS_FAILED) {
    return `failed (${enumLabel(trainerV1.FailureCode, r.failureCode, 'FAILURE_CODE')}): ${r.error || 'no message'}`;
  }
  const metric = r.spec?.metric ?? '';
  const value = metricOf(r.metrics, metric);
  return value === undefined ? runStatus(r.status) : `${runStatus(r.status)}: ${metric} ${formatNumber(value)}`;
}

function comparisonWords(c: registryV1.MetricComparison | undefined): string {
  if (!c) return '';
  const champion = c.championValue === undefined ? 'no champion' : `champion ${formatNumber(c.championValue)}`;
  return ` — ${c.metric} ${formatNumber(c.challengerValue)} vs ${champion}${c.holdout ? ` on ${c.holdout.rowCount} holdout rows` : ''}`;
}

/** The rows of every record, newest first, dataset commits folded, each cause linked to its row where it is in the timeline. */
export function buildTimeline(records: LoopRecords): TimelineRow[] {
  const model = records.modelName;
  const drafts: DraftRow[] = [];

  for (const v of records.datasetVersions) {
    drafts.push({
      id: rowId('data', v.dataset, `v${v.version}`),
      time: toMillis(v.commitTime) ?? 0,
      stage: 'data in',
      rank: RANK.commit,
      label: `${v.dataset} v${v.version}`,
      what: '',
      causes: [],
      commit: v,
    });
  }

  const info = records.datasetInfo;
  if (info) {
    drafts.push({
      id: rowId('dataset', info.name),
      time: toMillis(info.createTime) ?? 0,
      stage: 'data in',
      rank: RANK.dataset,
      label: `dataset ${info.name}`,
      what: `dataset ${info.name} registered: ${info.contract?.columns.length ?? 0} columns, key [${(info.contract?.uniqueKey ?? []).join(', ')}]${
        info.ingestTopic ? `, topic ${info.ingestTopic}` : ''
      }`,
      href: `/datasets/${enc(info.name)}`,
      causes: [],
    });
  }

  const view = records.featureView;
  if (view) {
    drafts.push({
      id: rowId('view', view.name, `r${view.revision}`),
      time: toMillis(view.applyTime) ?? 0,
      stage: 'features',
      rank: RANK.view,
      label: `${view.name} r${view.revision}`,
      what: `feature view ${view.name} r${view.revision} applied over ${view.dataset}: ${view.features.length} features${
        view.materialisedDatasetVersion ? `, materialised up to ${view.dataset} v${view.materialisedDatasetVersion}` : ''
      }`,
      causes: [{ candidates: [rowId('dataset', view.dataset)], text: `dataset ${view.dataset}` }],
    });
  }

  const alertByEvent = new Map(records.alerts.filter((a) => a.eventId).map((a) => [a.eventId, a]));
  for (const d of records.decisions) {
    const acted = d.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED;
    const alert = alertByEvent.get(d.triggerEventId);
    const candidates = alert ? [...(alert.reportId ? [rowId('report', alert.reportId)] : []), rowId('alert', alert.alertId)] : [];
    const text = alert?.reportId
      ? `drift report ${alert.reportId}`
      : d.triggerEventId
        ? `${eventName(d.triggerEventType)} ${short(d.triggerEventId)}`
        : 'no trigger recorded';
    drafts.push({
      id: rowId('decision', d.decisionId),
      time: toMillis(d.decideTime) ?? 0,
      stage: 'training',
      rank: RANK.decision,
      label: `decision ${short(d.decisionId)}`,
      what: `retraining ${acted ? 'decided' : 'declined'} (${d.newRows} new rows${d.runId ? `, run ${short(d.runId)}` : ''}): ${
        d.reasons.join('; ') || 'no reasons given'
      }`,
      causes: [{ candidates, text }],
    });
  }

  const decisionByRun = new Map(records.decisions.filter((d) => d.runId).map((d) => [d.runId, d]));
  for (const r of records.runs) {
    const decision = decisionByRun.get(r.runId);
    const causes: DraftRow['causes'] = [];
    if (decision) causes.push({ candidates: [rowId('decision', decision.decisionId)], text: `decision ${short(decision.decisionId)}` });
    else if (r.trigger === trainerV1.RunTrigger.RUN_TRIGGER_API)
      causes.push({ candidates: [], text: `API call${r.actor?.team ? ` by ${r.actor.team}` : ''}` });
    else if (r.causeEventId) causes.push({ candidates: [], text: `${trigger(r.trigger)} event ${short(r.causeEventId)}` });
    const l = r.lineage;
    if (l?.dataset && l.datasetVersionTo) {
      causes.push({
        candidates: [rowId('data', l.dataset, `v${l.datasetVersionTo}`)],
        text: `${l.dataset} v${l.datasetVersionFrom}–v${l.datasetVersionTo}`,
      });
    }
    drafts.push({
      id: rowId('run', r.runId),
      time: runTime(r),
      stage: 'training',
      rank: RANK.run,
      label: `run ${short(r.runId)}`,
      what: `run ${short(r.runId)} (${trigger(r.trigger)}) ${runResult(r)}${l?.dataset ? `, trained on ${l.dataset} v${l.datasetVersionFrom}–v${l.datasetVersionTo}` : ''}`,
      href: `/runs/${enc(r.runId)}`,
      causes,
    });
  }

  const versionByNumber = new Map(records.modelVersions.map((v) => [v.version, v]));
  const registeredRow = new Map<number, string>();
  for (const e of records.audit) {
    if (e.action === registryV1.AuditAction.AUDIT_ACTION_VERSION_REGISTERED && !registeredRow.has(e.version)) {
      registeredRow.set(e.version, rowId('audit', e.id));
    }
  }
  const versionCause = (version: number) => ({
    candidates: registeredRow.has(version) ? [registeredRow.get(version)!] : [],
    text: `v${version}`,
  });
  for (const e of records.audit) {
    const base = { id: rowId('audit', e.id), time: toMillis(e.time) ?? 0, stage: 'registry' as const, href: `/models/${enc(model)}` };
    const reasons = e.reasons.length ? `: ${e.reasons.join('; ')}` : '';
    switch (e.action) {
      case registryV1.AuditAction.AUDIT_ACTION_VERSION_REGISTERED: {
        const runId = versionByNumber.get(e.version)?.runId;
        drafts.push({
          ...base,
          rank: RANK.registered,
          label: `v${e.version} registered`,
          what: `v${e.version} registered${runId ? ` from run ${short(runId)}` : ''}`,
          causes: runId ? [{ candidates: [rowId('run', runId)], text: `run ${short(runId)}` }] : [],
        });
        break;
      }
      case registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET:
        drafts.push({
          ...base,
          rank: RANK.alias,
          label: `${e.alias} → v${e.version}`,
          what: `${e.alias} → v${e.version}${e.previousVersion ? ` (was v${e.previousVersion})` : ''}, promoted by ${
            e.actor?.service ? `${e.actor.service} (policy)` : e.actor?.team || 'someone'
          }${comparisonWords(e.comparison)}${reasons}`,
          causes: [versionCause(e.version)],
        });
        break;
      case registryV1.AuditAction.AUDIT_ACTION_PROMOTION_REFUSED:
        drafts.push({
          ...base,
          rank: RANK.refused,
          label: `v${e.version} refused`,
          what: `promotion of v${e.version} to ${e.alias || 'production'} refused${comparisonWords(e.comparison)}${reasons}`,
          causes: [versionCause(e.version)],
        });
        break;
      default:
        drafts.push({
          ...base,
          rank: RANK.created,
          label: enumLabel(registryV1.AuditAction, e.action, 'AUDIT_ACTION'),
          what: `${enumLabel(registryV1.AuditAction, e.action, 'AUDIT_ACTION')}${e.alias ? ` ${e.alias}` : ''}${
            e.version ? ` v${e.version}` : ''
          }${reasons}`,
          causes: [],
        });
    }
  }

  // Each deployment's changes, as the deployer kept them (ListDeploymentChanges); a deployment
  // none of whose changes was read gets one row for where it stands now.
  const aliasRow = (alias: string, version: number) => {
    const entry = records.audit.find(
      (e) => e.action === registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET && e.version === version && (!alias || e.alias === alias),
    );
    return entry
      ? { candidates: [rowId('audit', entry.id)], text: `${entry.alias} → v${version}` }
      : { candidates: registeredRow.has(version) ? [registeredRow.get(version)!] : [], text: `v${version}` };
  };
  const changeRows = changeRowsOf(records.deploymentChanges, aliasRow, versionCause);
  drafts.push(...changeRows);
  const changed = new Set(records.deploymentChanges.map((c) => c.deployment));
  for (const d of records.deployments) {
    if (changed.has(d.name)) continue;
    const canary = d.state === deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY;
    const base = {
      id: rowId('deployment', d.name),
      stage: 'deployment' as const,
      rank: RANK.deployment,
      label: d.name,
      href: `/deployments/${enc(d.name)}`,
    };
    if (canary) {
      drafts.push({
        ...base,
        time: toMillis(d.canaryStartTime) ?? toMillis(d.updateTime) ?? 0,
        what: `${d.name}: canary v${d.canaryVersion} started on ${formatPercent(d.canaryTrafficShare)} of traffic, v${d.stableVersion} stable (current state)`,
        causes: [aliasRow(d.alias, d.canaryVersion)],
      });
    } else if (d.state === deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE) {
      drafts.push({
        ...base,
        time: toMillis(d.updateTime) ?? 0,
        what: `${d.name}: v${d.stableVersion} serves all traffic (current state)`,
        causes: [aliasRow(d.alias, d.stableVersion)],
      });
    } else {
      drafts.push({
        ...base,
        time: toMillis(d.updateTime) ?? 0,
        what: `${d.name}: ${enumLabel(deployerV1.DeploymentState, d.state, 'DEPLOYMENT_STATE')}, nothing serves yet (current state)`,
        causes: [],
      });
    }
  }
  /** The row of the change that last put `version` into service before `time`, else the deployment's current-state row. */
  const servingRow = (version: number, time: number) => {
    const change = changeRows.find((r) => r.servedVersion === version && r.time <= time);
    if (change) return { candidates: [change.id], text: change.label };
    const serving = records.deployments.find((d) => d.stableVersion === version || d.canaryVersion === version);
    return serving ? { candidates: [rowId('deployment', serving.name)], text: `${serving.name} serving v${version}` } : undefined;
  };

  const seenReports = new Set<string>();
  for (const r of records.reports) {
    if (!r.reportId || seenReports.has(r.reportId)) continue;
    seenReports.add(r.reportId);
    const serving = servingRow(r.modelVersion, toMillis(r.createTime) ?? 0);
    const drifted = r.features.filter((f) => f.drifted).map((f) => f.feature);
    drafts.push({
      id: rowId('report', r.reportId),
      time: toMillis(r.createTime) ?? 0,
      stage: 'monitor',
      rank: RANK.report,
      label: `drift report ${r.reportId}`,
      what: `drift report ${r.reportId} on v${r.modelVersion}: ${r.datasetDrift ? 'DATASET DRIFT' : 'no dataset drift'}, ${formatPercent(
        r.driftedShare,
      )} of features drifted${drifted.length ? ` (${drifted.join(', ')})` : ''}${r.prediction?.drifted ? '; prediction drift' : ''}`,
      href: `/monitoring/${enc(model)}`,
      causes: serving ? [serving] : [],
    });
  }

  for (const a of records.alerts) {
    const resolved = toMillis(a.resolveTime);
    drafts.push({
      id: rowId('alert', a.alertId),
      time: toMillis(a.raiseTime) ?? 0,
      stage: 'monitor',
      rank: RANK.alert,
      label: `alert ${short(a.alertId)}`,
      what: `${enumLabel(monitorV1.AlertKind, a.kind, 'ALERT_KIND')} alert on v${a.modelVersion} (${resolved ? 'resolved' : 'open'}): ${a.message}`,
      href: `/monitoring/${enc(model)}`,
      causes: a.reportId ? [{ candidates: [rowId('report', a.reportId)], text: `drift report ${a.reportId}` }] : [],
    });
  }

  const folded = foldCommits(drafts.sort((a, b) => b.time - a.time || b.rank - a.rank));
  return resolveCauses(folded);
}

type CauseDraft = DraftRow['causes'][number];

/**
 * One row per deployment change, newest first as listed: the first version served, a canary
 * started (caused by the alias move of its version), promoted or rolled back with the deployer's
 * reason (caused by the canary's start when the judge decided, else by the person who asked).
 * `servedVersion` is the version the change put into service (none for a configuration).
 */
function changeRowsOf(
  changes: readonly deployerV1.DeploymentChanged[],
  aliasRow: (alias: string, version: number) => CauseDraft,
  versionCause: (version: number) => CauseDraft,
): Array<DraftRow & { servedVersion?: number }> {
  const Change = deployerV1.DeploymentChange;
  const rows: Array<DraftRow & { servedVersion?: number; change: deployerV1.DeploymentChanged }> = [];
  const ids = new Set<string>();
  for (const c of changes) {
    const time = toMillis(c.changeTime) ?? 0;
    let id = rowId('deployment', c.deployment, new Date(time).toISOString().replace(/[-:]/g, ''));
    for (let n = 2; ids.has(id); n++) id = rowId('deployment', c.deployment, new Date(time).toISOString().replace(/[-:]/g, ''), n);
    ids.add(id);
    const team = c.actor?.team ?? '';
    const alias = c.deploymentAfter?.alias ?? '';
    const byPerson = (call: string): CauseDraft => ({ candidates: [], text: `${call} by ${team || 'someone'}` });
    const started = (): CauseDraft[] =>
      team ? [byPerson('Deploy'), alias ? aliasRow(alias, c.toVersion) : versionCause(c.toVersion)] : [aliasRow(alias, c.toVersion)];
    const base = { id, time, stage: 'deployment' as const, rank: RANK.deployment, href: `/deployments/${enc(c.deployment)}`, change: c };
    switch (c.change) {
      case Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY:
        rows.push({
          ...base,
          label: `${c.deployment} v${c.toVersion} deployed`,
          what: `${c.deployment}: v${c.toVersion} serves all traffic (initial deploy)`,
          causes: started(),
          servedVersion: c.toVersion,
        });
        break;
      case Change.DEPLOYMENT_CHANGE_CANARY_STARTED:
        rows.push({
          ...base,
          label: `${c.deployment} canary v${c.toVersion}`,
          what: `${c.deployment}: canary v${c.toVersion} started on ${formatPercent(c.canaryTrafficShare)} of traffic, v${c.fromVersion} stable`,
          causes: started(),
          servedVersion: c.toVersion,
        });
        break;
      case Change.DEPLOYMENT_CHANGE_PROMOTED:
      case Change.DEPLOYMENT_CHANGE_ROLLED_BACK: {
        const promoted = c.change === Change.DEPLOYMENT_CHANGE_PROMOTED;
        rows.push({
          ...base,
          label: promoted ? `${c.deployment} v${c.toVersion} promoted` : `${c.deployment} rolled back to v${c.toVersion}`,
          what: `${c.deployment}: ${promoted ? `PROMOTED v${c.toVersion}` : `ROLLED BACK to v${c.toVersion}`} — ${c.reason || 'no reason given'}`,
          // The judge's verdict is caused by the canary's start (the next older CANARY_STARTED of the deployment, found below).
          causes: team || !c.actor?.service ? [byPerson(promoted ? 'Deploy' : 'Rollback')] : [],
          servedVersion: c.toVersion,
        });
        break;
      }
      default:
        rows.push({
          ...base,
          label: `${c.deployment} configured`,
          what: `${c.deployment}: ${enumLabel(Change, c.change, 'DEPLOYMENT_CHANGE')} — ${c.reason || 'no reason given'}`,
          causes: [byPerson('Deploy')],
        });
    }
  }
  // A verdict of the judge: caused by the start of the canary it judged.
  rows.forEach((row, i) => {
    if (row.causes.length > 0) return;
    const start = rows
      .slice(i + 1)
      .find((r) => r.change.deployment === row.change.deployment && r.change.change === Change.DEPLOYMENT_CHANGE_CANARY_STARTED);
    const canary = row.change.canary?.version ?? start?.change.toVersion;
    row.causes.push(
      start ? { candidates: [start.id], text: start.label } : { candidates: [], text: canary ? `canary v${canary}` : 'the canary judge' },
    );
  });
  return rows.map(({ change: _change, ...row }) => row);
}

/**
 * Consecutive dataset commits (no other row between them) become one row, `v3–v7 committed`, as the
 * demo prints them; each version's id keeps pointing at the folded row.
 */
function foldCommits(newestFirst: readonly DraftRow[]): { rows: DraftRow[]; alias: Map<string, string> } {
  const rows: DraftRow[] = [];
  const alias = new Map<string, string>();
  let i = 0;
  while (i < newestFirst.length) {
    const row = newestFirst[i];
    if (!row.commit) {
      rows.push(row);
      i++;
      continue;
    }
    const group: DraftRow[] = [];
    while (i < newestFirst.length && newestFirst[i].commit) group.push(newestFirst[i++]);
    const commits = group.map((g) => g.commit!).sort((a, b) => a.version - b.version);
    const first = commits[0];
    const last = commits[commits.length - 1];
    const versions = first.version === last.version ? `v${first.version}` : `v${first.version}–v${last.version}`;
    const added = commits.reduce((sum, c) => sum + c.rowCount, 0);
    const quarantined = commits.reduce((sum, c) => sum + c.quarantinedCount, 0);
    const id = rowId('data', last.dataset, `v${first.version}`, `v${last.version}`);
    for (const g of group) alias.set(g.id, id);
    rows.push({
      id,
      time: group[0].time,
      stage: 'data in',
      rank: RANK.commit,
      label: `${last.dataset} ${versions}`,
      what: `${last.dataset} ${versions} committed: +${added} rows (${last.cumulativeRowCount} in total${quarantined ? `, ${quarantined} quarantined` : ''})`,
      href: `/datasets/${enc(last.dataset)}`,
      causes: [],
    });
  }
  return { rows, alias };
}

function resolveCauses({ rows, alias }: { rows: DraftRow[]; alias: Map<string, string> }): TimelineRow[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return rows.map(({ causes, rank: _rank, commit: _commit, ...row }) => ({
    ...row,
    causedBy: causes.map((c) => {
      const target = c.candidates.map((id) => alias.get(id) ?? id).find((id) => byId.has(id) && id !== row.id);
      return target ? { rowId: target, text: byId.get(target)!.label } : { text: c.text };
    }),
  }));
}

// ---------------------------------------------------------------------------------------------
// The picture: each stage's latest event

export interface StageSummary {
  stage: Stage;
  /** What the stage is about: a dataset, a feature view, a run, an alias, a deployment, a health status. */
  subject: string;
  /** Its latest event, in one line. */
  line: string;
  /** When that happened (ms); undefined when nothing did yet. */
  time?: number;
  href?: string;
  /** Why the stage may be incomplete: a service that failed or refused. */
  notes: string[];
}

/** The six boxes of the picture, in `STAGES` order. */
export function summariseStages(records: LoopRecords, source: LoopSource, notes: Partial<Record<Stage, string[]>> = {}): StageSummary[] {
  const model = records.modelName;
  const n = (stage: Stage) => notes[stage] ?? [];

  const latestCommit = [...records.datasetVersions].sort((a, b) => b.version - a.version)[0];
  const dataset = records.dataset ?? source.dataset;
  const data: StageSummary = {
    stage: 'data in',
    subject: dataset ?? 'no dataset found',
    line: latestCommit
      ? `v${latestCommit.version} committed: ${latestCommit.cumulativeRowCount} rows, ${latestCommit.quarantinedCount} quarantined`
      : dataset
        ? 'no version committed yet'
        : 'neither the lineage nor the runs name a dataset',
    time: toMillis(latestCommit?.commitTime),
    href: dataset ? `/datasets/${enc(dataset)}` : undefined,
    notes: n('data in'),
  };

  const view = records.featureView;
  const features: StageSummary = {
    stage: 'features',
    subject: view
      ? `${view.name} r${view.revision}`
      : source.featureView
        ? `${source.featureView} r${source.featureViewRevision ?? '?'}`
        : 'no feature view found',
    line: view
      ? `applied; materialised up to v${view.materialisedDatasetVersion}${
          source.featureViewRevision && source.featureViewRevision !== view.revision
            ? ` (the model trained on r${source.featureViewRevision})`
            : ''
        }`
      : source.featureView
        ? `named by ${source.foundIn}`
        : '-',
    time: toMillis(view?.applyTime),
    notes: n('features'),
  };

  const run = newestRunsFirst(records.runs)[0];
  const training: StageSummary = {
    stage: 'training',
    subject: run ? `run ${short(run.runId)}` : 'no run yet',
    line: run ? `${trigger(run.trigger)}: ${runResult(run)}` : '-',
    time: run ? runTime(run) : undefined,
    href: run ? `/runs/${enc(run.runId)}` : undefined,
    notes: n('training'),
  };
  const lastDecision = [...records.decisions].sort((a, b) => (toMillis(b.decideTime) ?? 0) - (toMillis(a.decideTime) ?? 0))[0];
  if (lastDecision && (toMillis(lastDecision.decideTime) ?? 0) > (training.time ?? 0)) {
    const acted = lastDecision.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED;
    training.line = `retraining ${acted ? 'decided' : 'declined'}: ${lastDecision.reasons.join('; ') || '-'}`;
    training.time = toMillis(lastDecision.decideTime);
  }

  const champion = championAlias(records.model?.aliases);
  const move = records.audit.find(
    (e) => e.action === registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET || e.action === registryV1.AuditAction.AUDIT_ACTION_PROMOTION_REFUSED,
  );
  const registry: StageSummary = {
    stage: 'registry',
    subject: champion
      ? `${champion[0]} → v${champion[1]}`
      : records.model?.latestVersion
        ? `latest v${records.model.latestVersion}, no alias`
        : 'no version yet',
    line: move
      ? move.action === registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET
        ? `v${move.version} promoted to ${move.alias}${move.previousVersion ? ` (was v${move.previousVersion})` : ''}`
        : `v${move.version} refused: ${move.reasons.join('; ') || '-'}`
      : 'no promotion yet',
    time: toMillis(move?.time),
    href: `/models/${enc(model)}`,
    notes: n('registry'),
  };

  const deployments = records.deployments;
  const latestDeployment = [...deployments].sort((a, b) => (toMillis(b.updateTime) ?? 0) - (toMillis(a.updateTime) ?? 0))[0];
  const deployment: StageSummary = {
    stage: 'deployment',
    subject: deployments.length ? deployments.map((d) => d.name).join(', ') : 'not deployed',
    line: deployments.length
      ? deployments
          .map((d) =>
            d.state === deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY
              ? `canary v${d.canaryVersion} (${formatPercent(d.canaryTrafficShare)}), stable v${d.stableVersion}`
              : d.state === deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE
                ? `stable v${d.stableVersion}`
                : enumLabel(deployerV1.DeploymentState, d.state, 'DEPLOYMENT_STATE'),
          )
          .join('; ')
      : 'no deployment serves this model',
    time: toMillis(latestDeployment?.updateTime),
    href: latestDeployment ? `/deployments/${enc(latestDeployment.name)}` : undefined,
    notes: n('deployment'),
  };

  const report = [...records.reports].sort((a, b) => (toMillis(b.createTime) ?? 0) - (toMillis(a.createTime) ?? 0))[0];
  const open = records.health?.openAlerts.length ?? records.alerts.filter((a) => !a.resolveTime).length;
  const latestAlert = records.alerts[0];
  const monitorTime = Math.max(toMillis(report?.createTime) ?? 0, toMillis(latestAlert?.raiseTime) ?? 0);
  const monitor: StageSummary = {
    stage: 'monitor',
    subject: records.health ? enumLabel(monitorV1.HealthStatus, records.health.status, 'HEALTH_STATUS') : 'health unknown',
    line: `${
      report
        ? `drift report: ${report.datasetDrift ? 'drift' : 'no drift'} (${formatPercent(report.driftedShare)} of features)`
        : 'no drift report yet'
    }; ${open} open alert${open === 1 ? '' : 's'}`,
    time: monitorTime || undefined,
    href: `/monitoring/${enc(model)}`,
    notes: n('monitor'),
  };

  return [data, features, training, registry, deployment, monitor];
}
